using System.Buffers.Text;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Roadrunner.Fleet;

/// <summary>
/// Keep-alive HTTP/1.1 load through HAProxy on raw sockets, each connection paced by a timer. Raw sockets because a
/// client library retries a request whose pooled connection fails before the response, which would hide exactly the
/// failures this test counts. Every response is read to its end and its body compared: a non-2xx status, a reset or
/// close before the response, a truncated or wrong body and a timeout each count as a failed request.
/// </summary>
internal static class HttpClients
{
    private static readonly (string Path, byte[] Body)[] Requests =
    [
        ("/", "listener=public\n"u8.ToArray()),

        // A request that is still running when a drain starts (the drain waits for it).
        ("/slow?ms=25", "done\n"u8.ToArray()),
    ];

    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(5);

    public static Task RunAsync(IPEndPoint target, int connections, int ratePerConnection, Timeline timeline, CancellationToken stop) =>
        Task.WhenAll(Enumerable.Range(0, connections).Select(i => Task.Run(() => ConnectionAsync(target, i, ratePerConnection, timeline, stop), CancellationToken.None)));

    private static async Task ConnectionAsync(IPEndPoint target, int index, int rate, Timeline timeline, CancellationToken stop)
    {
        var requests = Requests.Select(r => (r.Body, Bytes: Encoding.ASCII.GetBytes($"GET {r.Path} HTTP/1.1\r\nHost: {target}\r\nUser-Agent: fleet-http-{index}\r\n\r\n"))).ToArray();
        using var pace = new PeriodicTimer(TimeSpan.FromSeconds(1.0 / rate));
        var reader = new ResponseReader();
        Socket? socket = null;
        var sent = 0L;
        try
        {
            while (await Tick(pace, stop))
            {
                var (expected, request) = requests[sent++ % requests.Length];
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
                timeout.CancelAfter(RequestTimeout);
                try
                {
                    if (socket is null)
                    {
                        socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                        await socket.ConnectAsync(target, timeout.Token);
                    }

                    await socket.SendAsync(request, SocketFlags.None, timeout.Token);
                    var response = await reader.ReadAsync(socket, timeout.Token);
                    if (response.Status is < 200 or > 299)
                    {
                        timeline.Add(EventKind.HttpFailed, response.Server, response.Status, $"HTTP {response.Status}|client port {(socket.LocalEndPoint as IPEndPoint)?.Port}");
                    }
                    else if (!response.Body.SequenceEqual(expected))
                    {
                        timeline.Add(EventKind.HttpFailed, response.Server, response.Status, $"wrong body|client port {(socket.LocalEndPoint as IPEndPoint)?.Port}");
                    }
                    else
                    {
                        timeline.Add(EventKind.HttpOk, response.Server, response.Status);
                    }

                    if (response.Close)
                    {
                        socket.Dispose();
                        socket = null;
                    }
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    break;
                }
                catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException or InvalidDataException)
                {
                    var kind = ex switch
                    {
                        OperationCanceledException => "timeout",
                        TruncatedException => "truncated body",
                        InvalidDataException => "bad response",
                        _ when reader.HeadSeen => "truncated body",
                        _ => "reset or closed before the response",
                    };
                    // The client port finds the request in HAProxy's log.
                    timeline.Add(EventKind.HttpFailed, reader.Server, 0, $"{kind}|client port {(socket?.LocalEndPoint as IPEndPoint)?.Port}");
                    socket?.Dispose();
                    socket = null;
                }
            }
        }
        finally
        {
            socket?.Dispose();
        }
    }

    private static async Task<bool> Tick(PeriodicTimer pace, CancellationToken stop)
    {
        try
        {
            return await pace.WaitForNextTickAsync(stop);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>The body ended before its Content-Length or its last chunk.</summary>
    private sealed class TruncatedException(string message) : IOException(message);

    internal readonly record struct Response(int Status, int Server, bool Close, byte[] Body);

    /// <summary>Reads one HTTP/1.1 response (Content-Length or chunked) from a socket into a reused buffer.</summary>
    internal sealed class ResponseReader
    {
        private byte[] _buffer = new byte[16 * 1024];
        private int _filled;

        /// <summary>The head of the response being read has arrived (a failure from here is a truncated response).</summary>
        public bool HeadSeen { get; private set; }

        /// <summary>The X-Fleet-Server of the response being read, once its head has arrived.</summary>
        public int Server { get; private set; }

        public async Task<Response> ReadAsync(Socket socket, CancellationToken cancellationToken)
        {
            _filled = 0;
            HeadSeen = false;
            Server = 0;
            int headEnd;
            while ((headEnd = _buffer.AsSpan(0, _filled).IndexOf("\r\n\r\n"u8)) < 0)
            {
                await FillAsync(socket, beforeHead: true, cancellationToken);
            }

            HeadSeen = true;
            var (status, contentLength, chunked, close, server) = ParseHead(_buffer.AsSpan(0, headEnd));
            Server = server;
            var bodyStart = headEnd + 4;
            byte[] body;
            if (chunked)
            {
                body = await ReadChunkedAsync(socket, bodyStart, cancellationToken);
            }
            else
            {
                var length = contentLength ?? 0;
                while (_filled - bodyStart < length)
                {
                    await FillAsync(socket, beforeHead: false, cancellationToken);
                }

                body = _buffer.AsSpan(bodyStart, (int)length).ToArray();
            }

            return new Response(status, server, close, body);
        }

        private async Task<byte[]> ReadChunkedAsync(Socket socket, int position, CancellationToken cancellationToken)
        {
            var body = new List<byte>();
            while (true)
            {
                int lineEnd;
                while ((lineEnd = _buffer.AsSpan(position, _filled - position).IndexOf("\r\n"u8)) < 0)
                {
                    await FillAsync(socket, beforeHead: false, cancellationToken);
                }

                var sizeText = _buffer.AsSpan(position, lineEnd);
                var semicolon = sizeText.IndexOf((byte)';');
                if (!Utf8Parser.TryParse(semicolon >= 0 ? sizeText[..semicolon] : sizeText, out int size, out _, 'x'))
                {
                    throw new InvalidDataException("Bad chunk size.");
                }

                position += lineEnd + 2;
                while (_filled - position < size + 2)
                {
                    await FillAsync(socket, beforeHead: false, cancellationToken);
                }

                if (size == 0)
                {
                    return [.. body]; // No trailers from these endpoints: "0\r\n\r\n".
                }

                body.AddRange(_buffer.AsSpan(position, size).ToArray());
                position += size + 2;
            }
        }

        private async Task FillAsync(Socket socket, bool beforeHead, CancellationToken cancellationToken)
        {
            if (_filled == _buffer.Length)
            {
                Array.Resize(ref _buffer, _buffer.Length * 2);
            }

            var n = await socket.ReceiveAsync(_buffer.AsMemory(_filled), SocketFlags.None, cancellationToken);
            if (n == 0)
            {
                throw beforeHead
                    ? new IOException("The connection closed before the response.")
                    : new TruncatedException("The connection closed before the end of the body.");
            }

            _filled += n;
        }

        private static (int Status, long? ContentLength, bool Chunked, bool Close, int Server) ParseHead(ReadOnlySpan<byte> head)
        {
            if (head.Length < 12 || !head.StartsWith("HTTP/1."u8) || !Utf8Parser.TryParse(head.Slice(9, 3), out int status, out _))
            {
                throw new InvalidDataException("Not an HTTP/1.x response.");
            }

            long? contentLength = null;
            var chunked = false;
            var close = head[7] == (byte)'0';
            var server = 0;
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
                if (Ascii.EqualsIgnoreCase(name, "Content-Length"u8) && Utf8Parser.TryParse(value, out long length, out _))
                {
                    contentLength = length;
                }
                else if (Ascii.EqualsIgnoreCase(name, "Transfer-Encoding"u8))
                {
                    chunked = value.IndexOf("chunked"u8) >= 0;
                }
                else if (Ascii.EqualsIgnoreCase(name, "Connection"u8))
                {
                    close = Ascii.EqualsIgnoreCase(value, "close"u8);
                }
                else if (Ascii.EqualsIgnoreCase(name, "X-Fleet-Server"u8))
                {
                    server = Timeline.ServerOf(Encoding.ASCII.GetString(value));
                }
            }

            return (status, contentLength, chunked, close, server);
        }
    }
}
