using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Roadrunner.AspNetCore.Tests.Infrastructure;

/// <summary>Real clients and socket probes.</summary>
public static class Net
{
    public static HttpClient Client(Uri baseAddress, Version? version = null, Action<SocketsHttpHandler>? configure = null)
    {
        var handler = new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) };
        configure?.Invoke(handler);
        var client = new HttpClient(handler) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
        if (version is not null)
        {
            client.DefaultRequestVersion = version;
            client.DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact;
        }

        return client;
    }

    /// <summary>True if a TCP connect to the URL's port is refused.</summary>
    public static async Task<bool> IsRefusedAsync(Uri url)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(IPAddress.Loopback, url.Port).WaitAsync(TimeSpan.FromSeconds(5));
            return false;
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionRefused)
        {
            return true;
        }
    }

    public static async Task<Socket> ConnectAsync(Uri url)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(IPAddress.Loopback, url.Port).WaitAsync(TimeSpan.FromSeconds(5));
        return socket;
    }

    /// <summary>Sends a raw HTTP/1.1 request and reads one whole response (Content-Length or chunked ends it).</summary>
    public static async Task<string> SendRawAsync(Socket socket, string path, bool close = false)
    {
        var request = $"GET {path} HTTP/1.1\r\nHost: localhost\r\n{(close ? "Connection: close\r\n" : string.Empty)}\r\n";
        await socket.SendAsync(Encoding.ASCII.GetBytes(request));
        return await ReadResponseAsync(socket);
    }

    public static async Task<string> ReadResponseAsync(Socket socket)
    {
        var received = new StringBuilder();
        var buffer = new byte[8192];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!IsCompleteResponse(received.ToString()))
        {
            var n = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
            if (n == 0)
            {
                break;
            }

            received.Append(Encoding.ASCII.GetString(buffer, 0, n));
        }

        return received.ToString();
    }

    private static bool IsCompleteResponse(string text)
    {
        var headerEnd = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (headerEnd < 0)
        {
            return false;
        }

        var headers = text[..headerEnd];
        if (headers.Contains("Transfer-Encoding: chunked", StringComparison.OrdinalIgnoreCase))
        {
            return text.EndsWith("0\r\n\r\n", StringComparison.Ordinal);
        }

        var lengthLine = headers.Split("\r\n").FirstOrDefault(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
        if (lengthLine is null)
        {
            return true;
        }

        var length = int.Parse(lengthLine["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
        return text.Length - headerEnd - 4 >= length;
    }

    /// <summary>Waits until the peer closes (read returns 0) or resets; returns what was read before.</summary>
    public static async Task<(int Bytes, bool Reset)> ReadUntilClosedAsync(Socket socket, TimeSpan timeout)
    {
        var buffer = new byte[4096];
        var total = 0;
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            while (true)
            {
                var n = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
                if (n == 0)
                {
                    return (total, false);
                }

                total += n;
            }
        }
        catch (SocketException)
        {
            return (total, true);
        }
    }

    /// <summary>Open file descriptors of this process (Linux).</summary>
    public static int OpenFileDescriptors() => Directory.GetFiles("/proc/self/fd").Length;

    /// <summary>Polls a condition until it holds or the deadline passes.</summary>
    public static async Task<bool> EventuallyAsync(Func<bool> condition, TimeSpan? within = null)
    {
        var deadline = Stopwatch.StartNew();
        var limit = within ?? TimeSpan.FromSeconds(10);
        while (!condition())
        {
            if (deadline.Elapsed > limit)
            {
                return false;
            }

            await Task.Yield();
            await Task.Delay(5);
        }

        return true;
    }

    public static X509Certificate2 CreateCertificate(string subject)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={subject}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        san.AddDnsName("localhost");
        request.CertificateExtensions.Add(san.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pfx, "pw"), "pw");
    }

    public static HttpClient TlsClient(Uri baseAddress, Version version, Action<X509Certificate2?> onCertificate) =>
        Client(baseAddress, version, handler => handler.SslOptions = new SslClientAuthenticationOptions
        {
            RemoteCertificateValidationCallback = (_, certificate, _, _) =>
            {
                onCertificate(certificate is null ? null : X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
                return true;
            },
        });
}
