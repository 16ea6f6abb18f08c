using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;

namespace Roadrunner.Bench.Load;

/// <summary>
/// Many open client WebSockets against an echo endpoint. Each is confirmed open by one echoed message. Once
/// <see cref="StartWatching"/> is called each keeps a receive pending: a close frame from the server is answered
/// (completing the close handshake) and counted as graceful; a broken connection is counted as aborted.
/// </summary>
public sealed class WebSocketSet : IDisposable
{
    private static readonly byte[] Hello = "hello"u8.ToArray();
    private readonly ClientWebSocket[] _sockets;
    private readonly HttpMessageInvoker _invoker;
    private readonly CloseWatch _closes;
    private int _graceful;
    private int _aborted;

    private WebSocketSet(ClientWebSocket[] sockets, HttpMessageInvoker invoker)
    {
        _sockets = sockets;
        _invoker = invoker;
        _closes = new CloseWatch(sockets.Length);
    }

    /// <summary>WebSockets in the set.</summary>
    public int Count => _sockets.Length;

    /// <summary>Not closed yet (meaningful once watching).</summary>
    public int OpenCount => _closes.OpenCount;

    /// <summary>Closed by a close handshake the server started.</summary>
    public int GracefulCount => Volatile.Read(ref _graceful);

    /// <summary>Closed without a close frame (connection reset or ended).</summary>
    public int AbortedCount => Volatile.Read(ref _aborted);

    /// <summary>The close status of the first graceful close, if any.</summary>
    public WebSocketCloseStatus? FirstCloseStatus { get; private set; }

    /// <summary>The latest close time seen (a <see cref="Stopwatch"/> timestamp), or 0.</summary>
    public long LastClosedAt => _closes.LastClosedAt;

    /// <summary>Opens <paramref name="count"/> WebSockets to <paramref name="url"/> (ws://), each confirmed by one echo.</summary>
    public static async Task<WebSocketSet> OpenAsync(
        Uri url,
        int count,
        IReadOnlyList<IPAddress> sourceAddresses,
        int parallelism = 32,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(url);
        ArgumentNullException.ThrowIfNull(sourceAddresses);
        var target = HttpWire.EndPointOf(url);
        var nextSource = -1;
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, ct) =>
            {
                var source = sourceAddresses.Count > 0 ? sourceAddresses[(int)((uint)Interlocked.Increment(ref nextSource) % sourceAddresses.Count)] : null;
                var socket = await HttpWire.ConnectAsync(target, source, ct).ConfigureAwait(false);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        var invoker = new HttpMessageInvoker(handler, disposeHandler: true);
        var sockets = new ClientWebSocket[count];
        var next = -1;
        try
        {
            var workers = Enumerable.Range(0, Math.Min(parallelism, count)).Select(_ => Task.Run(
                async () =>
                {
                    var buffer = new byte[64];
                    int i;
                    while ((i = Interlocked.Increment(ref next)) < count)
                    {
                        var socket = sockets[i] = new ClientWebSocket();
                        socket.Options.KeepAliveInterval = TimeSpan.Zero;
                        await socket.ConnectAsync(url, invoker, cancellationToken).ConfigureAwait(false);
                        await socket.SendAsync(Hello, WebSocketMessageType.Text, endOfMessage: true, cancellationToken).ConfigureAwait(false);
                        var echo = await socket.ReceiveAsync(buffer.AsMemory(), cancellationToken).ConfigureAwait(false);
                        if (echo.MessageType != WebSocketMessageType.Text || echo.Count != Hello.Length)
                        {
                            throw new InvalidOperationException($"WebSocket {i}: no echo ({echo.MessageType}, {echo.Count} bytes).");
                        }
                    }
                },
                cancellationToken));
            await Task.WhenAll(workers).ConfigureAwait(false);
        }
        catch
        {
            foreach (var socket in sockets)
            {
                socket?.Abort();
                socket?.Dispose();
            }

            invoker.Dispose();
            throw;
        }

        return new WebSocketSet(sockets, invoker);
    }

    /// <summary>Starts a pending receive on every WebSocket.</summary>
    public void StartWatching()
    {
        _closes.Start(WatchAsync);
    }

    private async Task WatchAsync(int i)
    {
        var socket = _sockets[i];
        var buffer = new byte[256];
        var graceful = false;
        try
        {
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer.AsMemory(), CancellationToken.None).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    FirstCloseStatus ??= socket.CloseStatus;
                    graceful = true;
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None).ConfigureAwait(false);
                    break;
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
        }

        Interlocked.Increment(ref graceful ? ref _graceful : ref _aborted);
        _closes.MarkClosed(i);
    }

    /// <summary>Waits until every WebSocket is closed, or <paramref name="timeout"/> passes.</summary>
    /// <returns><see langword="true"/> when all are closed.</returns>
    public Task<bool> WhenAllClosedAsync(TimeSpan timeout) => _closes.WhenAllClosedAsync(timeout);

    /// <summary>Aborts every WebSocket still open and releases the connections.</summary>
    public void Dispose()
    {
        foreach (var socket in _sockets)
        {
            socket.Abort();
            socket.Dispose();
        }

        _invoker.Dispose();
    }
}
