using System.Net.WebSockets;

namespace Roadrunner.Fleet;

/// <summary>
/// WebSockets to the example's echo endpoint through HAProxy, each reconnecting the moment the server closes it (no
/// client jitter: how evenly reconnects land is the server's DrainSpread alone). A connection counts as open once one
/// message is echoed. A failed attempt is counted and retried after a fixed 100 ms, at most 100 times in a row.
/// </summary>
internal static class WebSocketClients
{
    private static readonly byte[] Hello = "hello"u8.ToArray();
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan RetryPause = TimeSpan.FromMilliseconds(100);
    private const int MaxFailuresInARow = 100;

    public static Task RunAsync(Uri url, int count, Timeline timeline, CancellationToken stop) =>
        Task.WhenAll(Enumerable.Range(0, count).Select(_ => Task.Run(() => ClientAsync(url, timeline, stop), CancellationToken.None)));

    private static async Task ClientAsync(Uri url, Timeline timeline, CancellationToken stop)
    {
        var reconnect = 0;
        var failuresInARow = 0;
        var buffer = new byte[256];
        while (!stop.IsCancellationRequested && failuresInARow < MaxFailuresInARow)
        {
            using var socket = new ClientWebSocket();
            socket.Options.KeepAliveInterval = TimeSpan.Zero;
            socket.Options.CollectHttpResponseDetails = true; // For X-Fleet-Server.
            int server;
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
                timeout.CancelAfter(ConnectTimeout);
                await socket.ConnectAsync(url, timeout.Token);
                server = Timeline.ServerOf(socket.HttpResponseHeaders?.TryGetValue("X-Fleet-Server", out var values) == true ? values.FirstOrDefault() : null);
                await socket.SendAsync(Hello, WebSocketMessageType.Text, endOfMessage: true, timeout.Token);
                var echo = await socket.ReceiveAsync(buffer.AsMemory(), timeout.Token);
                if (echo.MessageType != WebSocketMessageType.Text || !buffer.AsSpan(0, echo.Count).SequenceEqual(Hello))
                {
                    throw new WebSocketException($"no echo ({echo.MessageType}, {echo.Count} bytes)");
                }
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex) when (ex is WebSocketException or HttpRequestException or OperationCanceledException or IOException)
            {
                failuresInARow++;
                timeline.Add(EventKind.WsConnectFailed, 0, reconnect, Describe(ex));
                if (!await Pause(stop))
                {
                    break;
                }

                continue;
            }

            timeline.Add(EventKind.WsConnected, server, reconnect, failuresInARow > 0 ? $"after {failuresInARow} failed attempt(s)" : null);
            failuresInARow = 0;
            reconnect = 1;
            try
            {
                while (true)
                {
                    var result = await socket.ReceiveAsync(buffer.AsMemory(), stop);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        timeline.Add(EventKind.WsClosed, server, (int)(socket.CloseStatus ?? 0), socket.CloseStatusDescription);

                        // Complete the close handshake, then reconnect at once.
                        using var closeTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                        await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, closeTimeout.Token);
                        break;
                    }
                }
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex) when (ex is WebSocketException or IOException or OperationCanceledException)
            {
                // A close frame seen before the failure was counted above; this is a connection that ended without one.
                if (socket.CloseStatus is null)
                {
                    timeline.Add(EventKind.WsClosed, server, -1, Describe(ex));
                }
            }
        }

        if (failuresInARow >= MaxFailuresInARow)
        {
            timeline.Marker(0, $"a WebSocket client gave up after {MaxFailuresInARow} failed attempts in a row");
        }
    }

    private static async Task<bool> Pause(CancellationToken stop)
    {
        try
        {
            await Task.Delay(RetryPause, stop);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static string Describe(Exception ex) =>
        ex is WebSocketException { InnerException: { } inner } ? $"{ex.Message} ({inner.Message})" : ex.Message;
}
