using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Roadrunner.AspNetCore.Tests.Infrastructure;

namespace Roadrunner.AspNetCore.Tests.Tls;

/// <summary>
/// Certificates made in the test (CertificateRequest) and written to a temporary directory as PEM or PFX, plus the
/// clients that report which certificate the server presented.
/// </summary>
public sealed class TestCertificates : IDisposable
{
    private const string ServerAuth = "1.3.6.1.5.5.7.3.1";
    private const string ClientAuth = "1.3.6.1.5.5.7.3.2";

    public TestCertificates()
    {
        Directory = Path.Combine(Path.GetTempPath(), $"rr-tls-{Guid.NewGuid():N}");
        System.IO.Directory.CreateDirectory(Directory);
    }

    public string Directory { get; }

    /// <summary>A server certificate (self-signed, or issued by <paramref name="issuer"/>) for 127.0.0.1, localhost and <paramref name="dnsNames"/>.</summary>
    public static X509Certificate2 Server(string subject, X509Certificate2? issuer = null, params string[] dnsNames) =>
        Create(subject, issuer, [ServerAuth], dnsNames, isAuthority: false);

    public static X509Certificate2 Client(string subject, X509Certificate2? issuer = null) =>
        Create(subject, issuer, [ClientAuth], [], isAuthority: false);

    public static X509Certificate2 Authority(string subject) => Create(subject, null, null, [], isAuthority: true);

    /// <summary>Writes the certificate and its key as PEM (atomically: each file is written aside and renamed over).</summary>
    public (string Certificate, string Key) WritePem(X509Certificate2 certificate, string name = "server")
    {
        var certificatePath = Path.Combine(Directory, $"{name}.crt");
        var keyPath = Path.Combine(Directory, $"{name}.key");
        WriteAtomically(keyPath, Encoding.ASCII.GetBytes(KeyPem(certificate)));
        WriteAtomically(certificatePath, Encoding.ASCII.GetBytes(certificate.ExportCertificatePem()));
        return (certificatePath, keyPath);
    }

    public string WritePfx(X509Certificate2 certificate, string password, string name = "server")
    {
        var path = Path.Combine(Directory, $"{name}.pfx");
        WriteAtomically(path, certificate.Export(X509ContentType.Pfx, password));
        return path;
    }

    public string WriteCertificatePem(X509Certificate2 certificate, string name)
    {
        var path = Path.Combine(Directory, $"{name}.pem");
        WriteAtomically(path, Encoding.ASCII.GetBytes(certificate.ExportCertificatePem()));
        return path;
    }

    public static void WriteAtomically(string path, byte[] contents)
    {
        var temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        File.WriteAllBytes(temporary, contents);
        File.Move(temporary, path, overwrite: true);
    }

    public static string KeyPem(X509Certificate2 certificate) =>
        certificate.GetECDsaPrivateKey()?.ExportPkcs8PrivateKeyPem() ?? certificate.GetRSAPrivateKey()!.ExportPkcs8PrivateKeyPem();

    /// <summary>
    /// A TLS connection of its own (one socket, one SslStream) that sends HTTP/1.1 keep-alive requests: a connection
    /// that stays open across a reload, unlike HttpClient's pool.
    /// </summary>
    public static async Task<(Socket Socket, SslStream Tls, X509Certificate2 Presented)> OpenAsync(int port, string? serverName = null, X509Certificate2? clientCertificate = null)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(IPAddress.Loopback, port).WaitAsync(TimeSpan.FromSeconds(10));
        var tls = new SslStream(new NetworkStream(socket, ownsSocket: false));
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = serverName ?? string.Empty,
            RemoteCertificateValidationCallback = (_, _, _, _) => true,
            ClientCertificates = clientCertificate is null ? null : [clientCertificate],
            ApplicationProtocols = [SslApplicationProtocol.Http11],
        }).WaitAsync(TimeSpan.FromSeconds(10));
        return (socket, tls, X509CertificateLoader.LoadCertificate(tls.RemoteCertificate!.GetRawCertData()));
    }

    /// <summary>One GET on an open TLS connection; returns the whole response text.</summary>
    public static async Task<string> GetAsync(SslStream tls, string path)
    {
        await tls.WriteAsync(Encoding.ASCII.GetBytes($"GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n"));
        var received = new StringBuilder();
        var buffer = new byte[4096];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (true)
        {
            var n = await tls.ReadAsync(buffer, timeout.Token);
            if (n == 0)
            {
                break;
            }

            received.Append(Encoding.ASCII.GetString(buffer, 0, n));
            var text = received.ToString();
            var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (end < 0)
            {
                continue;
            }

            var headers = text[..end];
            var lengthLine = headers.Split("\r\n").FirstOrDefault(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
            var complete = lengthLine is not null
                ? text.Length - end - 4 >= int.Parse(lengthLine["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture)
                : text.EndsWith("0\r\n\r\n", StringComparison.Ordinal);
            if (complete)
            {
                break;
            }
        }

        return received.ToString();
    }

    /// <summary>The SHA-1 thumbprint openssl s_client sees (with <c>-servername</c> when given), upper-case hex.</summary>
    public static async Task<string> OpensslThumbprintAsync(int port, string? serverName = null)
    {
        await ExternalTools.RequireAsync("openssl");
        var sni = serverName is null ? "-noservername" : $"-servername {serverName}";
        using var run = ChildProcess.Start("bash", ["-c", $"openssl s_client -connect 127.0.0.1:{port} {sni} </dev/null 2>/dev/null | openssl x509 -noout -fingerprint -sha1"]);
        (await run.WaitForExitAsync(TimeSpan.FromSeconds(30))).ShouldBeTrue(run.Describe());
        var line = run.StdoutLines.FirstOrDefault(l => l.Contains("Fingerprint=", StringComparison.OrdinalIgnoreCase));
        line.ShouldNotBeNull(run.Describe());
        return line[(line.IndexOf('=', StringComparison.Ordinal) + 1)..].Replace(":", string.Empty, StringComparison.Ordinal).Trim().ToUpperInvariant();
    }

    /// <summary>An HttpClient that connects to 127.0.0.1:<paramref name="port"/> whatever the URL's host, so the host is sent as SNI.</summary>
    public static HttpClient ClientFor(int port, Action<X509Certificate2?> onCertificate, X509Certificate2? clientCertificate = null)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await socket.ConnectAsync(IPAddress.Loopback, port, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            },
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                {
                    onCertificate(certificate is null ? null : X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
                    return true;
                },
                ClientCertificates = clientCertificate is null ? null : [clientCertificate],
            },
        };
        return new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30) };
    }

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static X509Certificate2 Create(string subject, X509Certificate2? issuer, string[]? usages, string[] dnsNames, bool isAuthority)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={subject}", key, HashAlgorithmName.SHA256);
        if (usages is not null)
        {
            var oids = new OidCollection();
            foreach (var usage in usages)
            {
                oids.Add(new Oid(usage));
            }

            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(oids, critical: false));
        }

        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(isAuthority, false, 0, isAuthority));
        if (isAuthority)
        {
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
            request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        }
        else
        {
            var san = new SubjectAlternativeNameBuilder();
            san.AddIpAddress(IPAddress.Loopback);
            san.AddDnsName("localhost");
            foreach (var name in dnsNames)
            {
                san.AddDnsName(name);
            }

            request.CertificateExtensions.Add(san.Build());
        }

        var notBefore = DateTimeOffset.UtcNow.AddDays(-1);
        var notAfter = DateTimeOffset.UtcNow.AddDays(30);
        if (issuer is null)
        {
            using var selfSigned = request.CreateSelfSigned(notBefore, notAfter);
            return X509CertificateLoader.LoadPkcs12(selfSigned.Export(X509ContentType.Pfx), password: null);
        }

        var serial = new byte[16];
        RandomNumberGenerator.Fill(serial);
        serial[0] &= 0x7F;
        using var issued = request.Create(issuer, notBefore, notAfter.AddDays(-1), serial);
        using var withKey = issued.CopyWithPrivateKey(key);
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pfx), password: null);
    }
}
