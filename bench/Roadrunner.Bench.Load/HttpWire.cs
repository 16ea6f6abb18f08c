using System.Buffers.Text;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

namespace Roadrunner.Bench.Load;

/// <summary>The bytes of HTTP/1.1 on a raw socket: request text, a response reader, connecting from a source address.</summary>
public static class HttpWire
{
    /// <summary>The GET request for <paramref name="url"/> (path and query), keep-alive unless <paramref name="close"/>.</summary>
    public static byte[] GetRequest(Uri url, bool close = false)
    {
        ArgumentNullException.ThrowIfNull(url);
        var text = $"GET {url.PathAndQuery} HTTP/1.1\r\nHost: {url.Authority}\r\n{(close ? "Connection: close\r\n" : string.Empty)}\r\n";
        return Encoding.ASCII.GetBytes(text);
    }

    /// <summary>
    /// Connects a TCP socket to <paramref name="target"/>, from <paramref name="source"/> when given (any port: the
    /// port is picked at connect time, so many source addresses do not share one ephemeral range).
    /// </summary>
    public static async Task<Socket> ConnectAsync(IPEndPoint target, IPAddress? source, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        var socket = new Socket(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            if (source is not null)
            {
                if (OperatingSystem.IsLinux())
                {
                    // IP_BIND_ADDRESS_NO_PORT (24): defer the port choice to connect().
                    socket.SetRawSocketOption(0, 24, BitConverter.GetBytes(1));
                }

                socket.Bind(new IPEndPoint(source, 0));
            }

            await socket.ConnectAsync(target, cancellationToken).ConfigureAwait(false);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>The endpoint of an http(s)/ws(s) URL whose host is an IP literal or localhost.</summary>
    public static IPEndPoint EndPointOf(Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        var address = url.IsLoopback && !IPAddress.TryParse(url.IdnHost, out _) ? IPAddress.Loopback : IPAddress.Parse(url.IdnHost);
        return new IPEndPoint(address, url.Port);
    }

    /// <summary>
    /// Reads one whole response (Content-Length, chunked, or until close) into <paramref name="buffer"/>.
    /// Throws <see cref="IOException"/> when the peer closes before the response is complete.
    /// </summary>
    public static ValueTask<HttpResponseHead> ReadResponseAsync(Socket socket, byte[] buffer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentNullException.ThrowIfNull(buffer);
        return ReadResponseAsync(new SocketSource(socket), buffer, cancellationToken);
    }

    /// <summary>As the socket overload, from a stream (a TLS connection's <see cref="System.Net.Security.SslStream"/>).</summary>
    public static ValueTask<HttpResponseHead> ReadResponseAsync(Stream stream, byte[] buffer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(buffer);
        return ReadResponseAsync(new StreamSource(stream), buffer, cancellationToken);
    }

    // Generic over a struct so the raw-socket path stays as cheap as before (no stream wrapper, no interface call).
    private static async ValueTask<HttpResponseHead> ReadResponseAsync<TSource>(TSource source, byte[] buffer, CancellationToken cancellationToken)
        where TSource : struct, IByteSource
    {
        var filled = 0;
        var bodyStart = -1;
        HttpResponseHead head = default;
        while (true)
        {
            if (filled == buffer.Length)
            {
                // The body is not kept: slide it out once the headers are parsed.
                if (bodyStart < 0)
                {
                    throw new InvalidDataException("Response headers larger than the buffer.");
                }

                filled = SlideBody(buffer, ref bodyStart, filled, ref head);
            }

            var n = await source.ReadAsync(buffer.AsMemory(filled), cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                if (bodyStart >= 0 && head.ContentLength < 0 && !head.Chunked)
                {
                    return head with { Close = true };
                }

                throw new IOException("The server closed the connection before the response was complete.");
            }

            filled += n;
            if (bodyStart < 0)
            {
                var end = buffer.AsSpan(0, filled).IndexOf("\r\n\r\n"u8);
                if (end < 0)
                {
                    continue;
                }

                bodyStart = end + 4;
                head = ParseHead(buffer.AsSpan(0, end));
            }

            if (head.ContentLength >= 0)
            {
                if (filled - bodyStart >= head.ContentLength)
                {
                    return head;
                }
            }
            else if (head.Chunked)
            {
                if (buffer.AsSpan(bodyStart, filled - bodyStart).EndsWith("0\r\n\r\n"u8))
                {
                    return head;
                }
            }
            else if (head.Status is 204 or 304 || head.Status < 200)
            {
                return head;
            }
        }
    }

    private static int SlideBody(byte[] buffer, ref int bodyStart, int filled, ref HttpResponseHead head)
    {
        // Keep the last 8 bytes (enough to see a chunked terminator across reads) and count what was dropped.
        const int keep = 8;
        var drop = filled - bodyStart - keep;
        if (drop <= 0)
        {
            throw new InvalidDataException("Response does not fit the buffer.");
        }

        if (head.ContentLength >= 0)
        {
            head = head with { ContentLength = head.ContentLength - drop };
        }

        Buffer.BlockCopy(buffer, bodyStart + drop, buffer, bodyStart, keep);
        return bodyStart + keep;
    }

    private static HttpResponseHead ParseHead(ReadOnlySpan<byte> head)
    {
        // "HTTP/1.1 200 OK"
        if (head.Length < 12 || !head.StartsWith("HTTP/1."u8) || !Utf8Parser.TryParse(head.Slice(9, 3), out int status, out _))
        {
            throw new InvalidDataException("Not an HTTP/1.x response.");
        }

        long contentLength = -1;
        var chunked = false;
        var close = head[7] == (byte)'0';
        foreach (var range in head.Split("\r\n"u8))
        {
            var line = head[range];
            var colon = line.IndexOf((byte)':');
            if (colon <= 0)
            {
                continue;
            }

            var name = line[..colon];
            var value = line[(colon + 1)..].Trim((byte)' ');
            if (Ascii.EqualsIgnoreCase(name, "Content-Length"u8))
            {
                if (!Utf8Parser.TryParse(value, out contentLength, out _))
                {
                    throw new InvalidDataException("Bad Content-Length.");
                }
            }
            else if (Ascii.EqualsIgnoreCase(name, "Transfer-Encoding"u8))
            {
                chunked = value.IndexOf("chunked"u8) >= 0;
            }
            else if (Ascii.EqualsIgnoreCase(name, "Connection"u8))
            {
                close = Ascii.EqualsIgnoreCase(value, "close"u8);
            }
        }

        return new HttpResponseHead(status, contentLength, chunked, close);
    }

    /// <summary>A PROXY protocol v2 header (PROXY, TCP over IPv4, no TLVs: 28 bytes, what HAProxy's send-proxy-v2 sends).</summary>
    public static byte[] ProxyV2Header(IPEndPoint source, IPEndPoint destination)
    {
        byte[] header = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A, 0x21, 0x11, 0x00, 0x0C, .. new byte[12]];
        source.Address.MapToIPv4().GetAddressBytes().CopyTo(header, 16);
        destination.Address.MapToIPv4().GetAddressBytes().CopyTo(header, 20);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(24), (ushort)source.Port);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(26), (ushort)destination.Port);
        return header;
    }
}

/// <summary>Where a response's bytes come from.</summary>
internal interface IByteSource
{
    ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken);
}

[StructLayout(LayoutKind.Auto)]
internal readonly struct SocketSource(Socket socket) : IByteSource
{
    public ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken) =>
        socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
}

[StructLayout(LayoutKind.Auto)]
internal readonly struct StreamSource(Stream stream) : IByteSource
{
    public ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken) =>
        stream.ReadAsync(buffer, cancellationToken);
}

/// <summary>What a response said about itself.</summary>
/// <param name="Status">The status code.</param>
/// <param name="ContentLength">Content-Length, or -1.</param>
/// <param name="Chunked">Whether the body is chunked.</param>
/// <param name="Close">Whether the server closes the connection after this response.</param>
[StructLayout(LayoutKind.Auto)]
public readonly record struct HttpResponseHead(int Status, long ContentLength, bool Chunked, bool Close)
{
    /// <summary>2xx.</summary>
    public bool IsSuccess => Status is >= 200 and < 300;
}
