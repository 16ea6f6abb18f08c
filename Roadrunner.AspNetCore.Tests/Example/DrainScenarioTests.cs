using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Roadrunner.AspNetCore.Tests.Infrastructure;

namespace Roadrunner.AspNetCore.Tests.Example;

/// <summary>The issue's end-to-end scenarios: a listener created through the admin API, used, and drained.</summary>
public sealed class DrainScenarioTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task Drain_with_5s_closes_the_websocket_with_1001_ends_sse_with_a_drain_event_lets_slow_finish_and_reports_Drained()
    {
        await using var app = ExampleApp.Start();
        using var admin = app.Admin();
        var created = await admin.CreateListenerAsync("t1", """ "port":0 """);
        var url = ExampleHttp.UrlOf(created);
        using var timeout = new CancellationTokenSource(Patience);

        // GET / on the new listener.
        using var client = ExampleApp.Client(url);
        (await client.GetStringAsync(new Uri("/", UriKind.Relative))).ShouldContain("listener=t1");

        // WebSocket echo, text and binary.
        using var ws = new ClientWebSocket();
        await ws.ConnectAsync(new Uri($"ws://127.0.0.1:{url.Port}/ws"), timeout.Token);
        (await EchoAsync(ws, WebSocketMessageType.Text, "hello"u8.ToArray(), timeout.Token)).ShouldBe("hello"u8.ToArray());
        (await EchoAsync(ws, WebSocketMessageType.Binary, [0, 1, 2, 255], timeout.Token)).ShouldBe(new byte[] { 0, 1, 2, 255 });

        // SSE, up to its first tick.
        using var sseClient = ExampleApp.Client(url);
        using var sse = await sseClient.GetAsync(new Uri("/sse", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        sse.StatusCode.ShouldBe(HttpStatusCode.OK);
        sse.MediaType()!.MediaType.ShouldBe("text/event-stream");
        using var sseReader = new StreamReader(await sse.Content.ReadAsStreamAsync(timeout.Token));
        while (await sseReader.ReadLineAsync(timeout.Token) is { } line && line != "event: tick")
        {
        }

        // A slow request, in flight when the drain starts (GET /, /ws, /sse and /slow: four requests seen).
        using var slowClient = ExampleApp.Client(url);
        var slow = slowClient.GetAsync(new Uri("/slow?ms=1000", UriKind.Relative), timeout.Token);
        (await Net.EventuallyAsync(() => app.Manager.GetListener("t1")!.RequestsServed >= 4, Patience)).ShouldBeTrue();

        var wsClose = ReceiveCloseAndAnswerAsync(ws, timeout.Token);
        var sseRest = sseReader.ReadToEndAsync(timeout.Token);

        using var drain = await admin.PostJsonAsync("/admin/listeners/t1/drain", """{"timeoutMs":5000}""");

        drain.StatusCode.ShouldBe(HttpStatusCode.OK);
        var result = await drain.JsonAsync();
        result.GetProperty("outcome").GetString().ShouldBe("Drained");
        result.GetProperty("acknowledged").GetInt32().ShouldBeGreaterThanOrEqualTo(2); // WebSocket + SSE
        result.GetProperty("aborted").GetInt32().ShouldBe(0);
        result.GetProperty("graceful").GetInt32().ShouldBeGreaterThanOrEqualTo(3);
        result.GetProperty("elapsedMs").GetInt64().ShouldBeLessThan(5000);

        // The WebSocket was closed by the server with 1001 Going Away.
        var close = await wsClose;
        close.Status.ShouldBe(WebSocketCloseStatus.EndpointUnavailable);
        ((int)close.Status!).ShouldBe(1001);

        // The SSE stream got a last "drain" event with the grace left and a retry hint, then ended.
        var rest = await sseRest;
        rest.ShouldContain("event: drain\n");
        rest.ShouldContain("retry: 2000\n");
        var data = rest.Split('\n').Single(l => l.StartsWith("data: {", StringComparison.Ordinal));
        using (var remaining = JsonDocument.Parse(data["data: ".Length..]))
        {
            remaining.RootElement.GetProperty("remainingMs").GetInt64().ShouldBeInRange(0, 5000);
        }

        rest.TrimEnd().ShouldEndWith("retry: 2000");

        // The slow request was allowed to finish.
        using (var slowResponse = await slow)
        {
            slowResponse.StatusCode.ShouldBe(HttpStatusCode.OK);
            (await slowResponse.Content.ReadAsStringAsync()).Trim().ShouldBe("done");
        }

        // t1 is gone.
        (await admin.ListNamesAsync()).ShouldNotContain("t1");
        using var get = await admin.GetAsync(new Uri("/admin/listeners/t1", UriKind.Relative));
        await get.ShouldBeProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Drain_with_300ms_aborts_a_websocket_that_ignores_the_drain_and_reports_TimedOut()
    {
        await using var app = ExampleApp.Start();
        using var admin = app.Admin();
        var created = await admin.CreateListenerAsync("t1", """ "port":0 """);
        var url = ExampleHttp.UrlOf(created);
        using var timeout = new CancellationTokenSource(Patience);

        using var ws = new ClientWebSocket();
        await ws.ConnectAsync(new Uri($"ws://127.0.0.1:{url.Port}/ws?ignoreDrain=true"), timeout.Token);
        (await EchoAsync(ws, WebSocketMessageType.Text, "still here"u8.ToArray(), timeout.Token)).ShouldBe("still here"u8.ToArray());
        var receive = ws.ReceiveAsync(new byte[1024].AsMemory(), timeout.Token).AsTask();

        using var drain = await admin.PostJsonAsync("/admin/listeners/t1/drain", """{"timeoutMs":300}""");

        drain.StatusCode.ShouldBe(HttpStatusCode.OK);
        var result = await drain.JsonAsync();
        result.GetProperty("outcome").GetString().ShouldBe("TimedOut");
        result.GetProperty("aborted").GetInt32().ShouldBe(1);
        result.GetProperty("graceful").GetInt32().ShouldBe(0);
        result.GetProperty("acknowledged").GetInt32().ShouldBe(0);
        result.GetProperty("elapsedMs").GetInt64().ShouldBeGreaterThanOrEqualTo(290);

        // No close frame: the connection was cut.
        await Should.ThrowAsync<WebSocketException>(() => receive);
        ws.State.ShouldBe(WebSocketState.Aborted);
        (await admin.ListNamesAsync()).ShouldNotContain("t1");
    }

    [Fact]
    public async Task A_long_poll_pending_at_a_drain_answers_503_with_retry_after_and_counts_as_acknowledged()
    {
        await using var app = ExampleApp.Start();
        using var admin = app.Admin();
        var created = await admin.CreateListenerAsync("lp");
        using var client = ExampleApp.Client(ExampleHttp.UrlOf(created));

        var longPoll = client.GetAsync(new Uri("/longpoll?ms=60000", UriKind.Relative));
        (await Net.EventuallyAsync(() => app.Manager.GetListener("lp")!.RequestsServed >= 1, Patience)).ShouldBeTrue();

        using var drain = await admin.PostJsonAsync("/admin/listeners/lp/drain", """{"timeoutMs":5000}""");

        var result = await drain.JsonAsync();
        result.GetProperty("outcome").GetString().ShouldBe("Drained");
        result.GetProperty("acknowledged").GetInt32().ShouldBe(1);
        using var answered = await longPoll;
        answered.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        answered.Headers.RetryAfter!.Delta!.Value.ShouldBeGreaterThan(TimeSpan.Zero);
        answered.Headers.ConnectionClose.ShouldBe(true);
    }

    [Fact]
    public async Task Two_drains_of_one_listener_at_once_share_the_result()
    {
        await using var app = ExampleApp.Start();
        using var admin = app.Admin();
        var created = await admin.CreateListenerAsync("twice");
        using var timeout = new CancellationTokenSource(Patience);
        using var ws = new ClientWebSocket();
        await ws.ConnectAsync(new Uri($"ws://127.0.0.1:{created.GetProperty("port").GetInt32()}/ws?ignoreDrain=true"), timeout.Token);
        using var otherAdmin = app.Admin();

        var first = admin.PostJsonAsync("/admin/listeners/twice/drain", """{"timeoutMs":400}""");
        (await Net.EventuallyAsync(() => app.Manager.GetListener("twice")?.Status != ListenerStatus.Accepting, Patience)).ShouldBeTrue();
        var second = otherAdmin.PostJsonAsync("/admin/listeners/twice/drain", """{"timeoutMs":60000}""");

        using var one = await first;
        using var two = await second;

        // Either the second call joined the running drain (same result) or it came after the end (404).
        one.StatusCode.ShouldBe(HttpStatusCode.OK);
        var firstResult = await one.JsonAsync();
        firstResult.GetProperty("outcome").GetString().ShouldBe("TimedOut");
        if (two.StatusCode == HttpStatusCode.OK)
        {
            (await two.JsonAsync()).GetRawText().ShouldBe(firstResult.GetRawText());
        }
        else
        {
            await two.ShouldBeProblemAsync(HttpStatusCode.NotFound);
        }
    }

    private static async Task<byte[]> EchoAsync(ClientWebSocket ws, WebSocketMessageType type, byte[] payload, CancellationToken cancellationToken)
    {
        await ws.SendAsync(payload, type, endOfMessage: true, cancellationToken);
        var buffer = new byte[4096];
        using var received = new MemoryStream();
        ValueWebSocketReceiveResult result;
        do
        {
            result = await ws.ReceiveAsync(buffer.AsMemory(), cancellationToken);
            result.MessageType.ShouldBe(type);
            received.Write(buffer, 0, result.Count);
        }
        while (!result.EndOfMessage);

        return received.ToArray();
    }

    /// <summary>Reads until the server's close frame, answers it (completing the handshake) and returns its status.</summary>
    private static async Task<(WebSocketCloseStatus? Status, string? Description)> ReceiveCloseAndAnswerAsync(ClientWebSocket ws, CancellationToken cancellationToken)
    {
        var buffer = new byte[1024];
        while (true)
        {
            var result = await ws.ReceiveAsync(buffer.AsMemory(), cancellationToken);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                await ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", cancellationToken);
                return (ws.CloseStatus, ws.CloseStatusDescription);
            }

            throw new ShouldAssertException($"Expected only the close frame, got a {result.MessageType} message: {Encoding.UTF8.GetString(buffer, 0, result.Count)}");
        }
    }
}
