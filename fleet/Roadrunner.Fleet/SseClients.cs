using System.Net;
using System.Net.ServerSentEvents;

namespace Roadrunner.Fleet;

/// <summary>
/// Server-Sent Event streams from the example's <c>/sse</c> through HAProxy, each started again the moment the last
/// one ends (the server's <c>retry:</c> hint is not waited for: the reconnect storm is the point). A stream ends with
/// the drain event (the server said goodbye), without it (a clean end nobody announced), or broken (cut mid-stream).
/// Each request asks for its own connection (<c>Connection: close</c>) so the client never retries a request on a
/// pooled connection behind the test's back. A failed start is counted and retried after a fixed 100 ms.
/// </summary>
internal static class SseClients
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan RetryPause = TimeSpan.FromMilliseconds(100);
    private const int MaxFailuresInARow = 100;

    public static async Task RunAsync(Uri url, int count, Timeline timeline, CancellationToken stop)
    {
        using var handler = new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false };
        using var http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        await Task.WhenAll(Enumerable.Range(0, count).Select(_ => Task.Run(() => StreamAsync(http, url, timeline, stop), CancellationToken.None)));
    }

    private static async Task StreamAsync(HttpClient http, Uri url, Timeline timeline, CancellationToken stop)
    {
        var failuresInARow = 0;
        var restart = 0;
        while (!stop.IsCancellationRequested && failuresInARow < MaxFailuresInARow)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            request.Headers.Accept.ParseAdd("text/event-stream");
            request.Headers.ConnectionClose = true;
            HttpResponseMessage response;
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
                timeout.CancelAfter(StartTimeout);
                response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException)
            {
                failuresInARow++;
                timeline.Add(EventKind.SseConnectFailed, 0, restart, ex.Message);
                if (!await Pause(stop))
                {
                    break;
                }

                continue;
            }

            using (response)
            {
                var server = Timeline.ServerOf(response.Headers.TryGetValues("X-Fleet-Server", out var values) ? values.FirstOrDefault() : null);
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    failuresInARow++;
                    timeline.Add(EventKind.SseConnectFailed, server, restart, $"HTTP {(int)response.StatusCode}");
                    if (!await Pause(stop))
                    {
                        break;
                    }

                    continue;
                }

                timeline.Add(EventKind.SseStarted, server, restart, failuresInARow > 0 ? $"after {failuresInARow} failed attempt(s)" : null);
                failuresInARow = 0;
                restart = 1;
                string? last = null;
                try
                {
                    await using var body = await response.Content.ReadAsStreamAsync(stop);
                    await foreach (var item in SseParser.Create(body).EnumerateAsync(stop))
                    {
                        last = item.EventType;
                    }

                    timeline.Add(EventKind.SseEnded, server, 0, last == "drain" ? "drain" : "no-drain");
                }
                catch (Exception) when (stop.IsCancellationRequested)
                {
                    break;
                }
                catch (Exception ex) when (ex is HttpRequestException or IOException or OperationCanceledException)
                {
                    timeline.Add(EventKind.SseEnded, server, 0, "broken");
                }
            }
        }

        if (failuresInARow >= MaxFailuresInARow)
        {
            timeline.Marker(0, $"an SSE client gave up after {MaxFailuresInARow} failed attempts in a row");
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
}
