using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using Roadrunner.AspNetCore.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Roadrunner.AspNetCore.Tests.Drain;

public sealed class DrainTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly EventRecorder _events = new();
    private TestApp _app = null!;

    public async Task InitializeAsync() => _app = await TestApp.StartAsync();

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        _events.Dispose();
    }

    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..24];

    [Fact]
    public async Task Drain_with_no_connections_is_drained_at_once_and_removes_the_listener()
    {
        var url = await _app.StartListenerAsync("empty");

        var result = await _app.Manager.DrainAsync("empty", TimeSpan.FromSeconds(30));

        result.ShouldNotBeNull();
        result.Outcome.ShouldBe(DrainOutcome.Drained);
        result.GracefulConnections.ShouldBe(0);
        result.AbortedConnections.ShouldBe(0);
        result.Elapsed.ShouldBeLessThan(TimeSpan.FromMilliseconds(100));
        _app.Manager.Names.ShouldNotContain("empty");
        (await Net.IsRefusedAsync(url)).ShouldBeTrue();
        (await _app.Manager.StartAsync("empty", new ListenerOptions { Port = url.Port })).EndPoint.Port.ShouldBe(url.Port);
    }

    [Fact]
    public async Task New_connects_are_refused_and_status_is_draining_while_the_drain_runs()
    {
        var name = Unique("refuse");
        var url = await _app.StartListenerAsync(name);
        using var ws = new ClientWebSocket();
        await ws.ConnectAsync(new Uri($"ws://127.0.0.1:{url.Port}/ws?ignoreDrain=true"), CancellationToken.None);

        var drain = _app.Manager.DrainAsync(name, TimeSpan.FromSeconds(2));
        await _events.WaitForAsync<DrainStartedEvent>(RoadrunnerEvents.DrainStarted, e => e.ListenerName == name);

        (await Net.IsRefusedAsync(url)).ShouldBeTrue();
        _app.Manager.GetListener(name)!.Status.ShouldBe(ListenerStatus.Draining);
        _app.Manager.Names.ShouldContain(name);

        await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        (await drain)!.Outcome.ShouldBe(DrainOutcome.Drained);
        _app.Manager.GetListener(name).ShouldBeNull();
    }

    [Fact]
    public async Task In_flight_http1_request_completes_with_connection_close()
    {
        var name = Unique("inflight");
        var url = await _app.StartListenerAsync(name);
        using var socket = await Net.ConnectAsync(url);
        await socket.SendAsync("GET /slow?ms=500 HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());
        (await Net.EventuallyAsync(() => _app.Manager.GetListener(name)!.RequestsServed == 1)).ShouldBeTrue();

        var drain = _app.Manager.DrainAsync(name, TimeSpan.FromSeconds(10));
        var response = await Net.ReadResponseAsync(socket);
        var result = await drain;

        response.ShouldStartWith("HTTP/1.1 200");
        response.ShouldContain("Connection: close");
        response.ShouldContain("done");
        (await Net.ReadUntilClosedAsync(socket, TimeSpan.FromSeconds(5))).Bytes.ShouldBe(0);
        result!.Outcome.ShouldBe(DrainOutcome.Drained);
        result.GracefulConnections.ShouldBe(1);
        result.AbortedConnections.ShouldBe(0);
    }

    [Fact]
    public async Task Idle_keep_alive_connection_is_closed_promptly_and_counts_as_graceful()
    {
        var name = Unique("idle");
        var url = await _app.StartListenerAsync(name);
        using var socket = await Net.ConnectAsync(url);
        (await Net.SendRawAsync(socket, "/")).ShouldContain("HTTP/1.1 200");

        var result = await _app.Manager.DrainAsync(name, TimeSpan.FromSeconds(10));

        var (bytes, _) = await Net.ReadUntilClosedAsync(socket, TimeSpan.FromSeconds(2));
        bytes.ShouldBe(0);
        result!.Outcome.ShouldBe(DrainOutcome.Drained);
        result.GracefulConnections.ShouldBe(1);
        result.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task Http2_client_sees_goaway_the_running_stream_completes_and_a_new_stream_is_refused()
    {
        var name = Unique("h2");
        var url = await _app.StartListenerAsync(name, new ListenerOptions { Protocols = ListenerProtocols.Http2 });
        using var client = await RawHttp2Client.ConnectAsync(url);
        await client.SendGetAsync(1, "/slow?ms=500");
        (await Net.EventuallyAsync(() => _app.Manager.GetListener(name)!.RequestsServed == 1)).ShouldBeTrue();

        var drain = _app.Manager.DrainAsync(name, TimeSpan.FromSeconds(10));

        var frames = new List<RawHttp2Client.Frame>();
        RawHttp2Client.Frame? frame;
        while ((frame = await client.ReadFrameAsync(TimeSpan.FromSeconds(10))) is not null && frame.Type != RawHttp2Client.GoAway)
        {
            frames.Add(frame);
        }

        frame.ShouldNotBeNull("no GOAWAY before the connection closed");
        frame.GoAwayLastStreamId.ShouldBe(int.MaxValue);
        frame.ErrorCode.ShouldBe(0);
        await client.SendGetAsync(3, "/");

        while ((frame = await client.ReadFrameAsync(TimeSpan.FromSeconds(10))) is not null)
        {
            frames.Add(frame);
        }

        var result = await drain;
        frames.ShouldContain(f => f.Type == RawHttp2Client.Headers && f.StreamId == 1 && f.Payload[0] == 0x88); // :status 200
        Encoding.ASCII.GetString([.. frames.Where(f => f.Type == RawHttp2Client.Data && f.StreamId == 1).SelectMany(f => f.Payload)]).ShouldBe("done");
        frames.ShouldNotContain(f => f.Type == RawHttp2Client.Headers && f.StreamId == 3);
        var refused = frames.Any(f => f.Type == RawHttp2Client.RstStream && f.StreamId == 3 && f.ErrorCode == RawHttp2Client.RefusedStream)
            || frames.Any(f => f.Type == RawHttp2Client.GoAway && f.GoAwayLastStreamId < 3);
        refused.ShouldBeTrue("stream 3 was neither refused nor excluded by the final GOAWAY");
        result!.Outcome.ShouldBe(DrainOutcome.Drained);
        result.GracefulConnections.ShouldBe(1);
        _app.Manager.GetListener(name)!.ShouldBeNull();
    }

    [Fact]
    public async Task Websocket_handler_using_the_helper_closes_with_1001_and_acknowledges()
    {
        var name = Unique("ws");
        var url = await _app.StartListenerAsync(name);
        using var ws = new ClientWebSocket();
        await ws.ConnectAsync(new Uri($"ws://127.0.0.1:{url.Port}/ws"), CancellationToken.None);
        await ws.SendAsync("hello"u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None);
        var buffer = new byte[1024];
        var echo = await ws.ReceiveAsync(buffer, CancellationToken.None);
        Encoding.UTF8.GetString(buffer, 0, echo.Count).ShouldBe("hello");

        var drain = _app.Manager.DrainAsync(name, TimeSpan.FromSeconds(5));
        var close = await ws.ReceiveAsync(buffer, CancellationToken.None);
        close.MessageType.ShouldBe(WebSocketMessageType.Close);
        ws.CloseStatus.ShouldBe(WebSocketCloseStatus.EndpointUnavailable);
        ws.CloseStatusDescription.ShouldBe("draining");
        await ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        var result = await drain;

        result!.Outcome.ShouldBe(DrainOutcome.Drained);
        result.Acknowledgements.ShouldBe(1);
        result.GracefulConnections.ShouldBe(1);
        result.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Handler_that_ignores_the_signal_is_aborted_at_the_deadline()
    {
        var name = Unique("ignore");
        var url = await _app.StartListenerAsync(name);
        using var ws = new ClientWebSocket();
        await ws.ConnectAsync(new Uri($"ws://127.0.0.1:{url.Port}/ws?ignoreDrain=true"), CancellationToken.None);

        var result = await _app.Manager.DrainAsync(name, TimeSpan.FromMilliseconds(300));

        result!.Outcome.ShouldBe(DrainOutcome.TimedOut);
        result.AbortedConnections.ShouldBe(1);
        result.GracefulConnections.ShouldBe(0);
        result.Elapsed.ShouldBeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(300)); // The exact deadline: DrainDeadlineOnSocketsTests, on a fake clock.
        var aborted = await _events.WaitForAsync<ConnectionAbortedEvent>(RoadrunnerEvents.ConnectionAborted, e => e.ListenerName == name);
        aborted.ConnectionId.ShouldNotBeNullOrEmpty();
        await Should.ThrowAsync<WebSocketException>(() => ws.ReceiveAsync(new byte[16], CancellationToken.None));
    }

    [Fact]
    public async Task Timeout_zero_aborts_at_once()
    {
        var name = Unique("zero");
        var url = await _app.StartListenerAsync(name);
        using var socket = await Net.ConnectAsync(url);
        await socket.SendAsync("GET /slow?ms=30000 HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());
        (await Net.EventuallyAsync(() => _app.Manager.GetListener(name)!.RequestsServed == 1)).ShouldBeTrue();

        var result = await _app.Manager.DrainAsync(name, TimeSpan.Zero);

        result!.Outcome.ShouldBe(DrainOutcome.TimedOut);
        result.AbortedConnections.ShouldBe(1);
        var (bytes, _) = await Net.ReadUntilClosedAsync(socket, TimeSpan.FromSeconds(5));
        bytes.ShouldBe(0);
    }

    [Fact]
    public async Task Sse_stream_gets_a_final_drain_event_and_a_clean_end()
    {
        var name = Unique("sse");
        var url = await _app.StartListenerAsync(name);
        using var client = Net.Client(url);
        using var response = await client.GetAsync("/sse", HttpCompletionOption.ResponseHeadersRead);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/event-stream");
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        (await reader.ReadLineAsync()).ShouldBe("event: tick");

        var drain = _app.Manager.DrainAsync(name, TimeSpan.FromSeconds(5));
        var rest = await reader.ReadToEndAsync(); // Ends only when the server ends the stream cleanly.
        var result = await drain;

        rest.ShouldContain("event: drain\n");
        rest.ShouldContain("data: {\"remainingMs\":");
        rest.ShouldContain("retry: 2000\n");
        rest.TrimEnd().Split("\n\n").Last().ShouldStartWith("event: drain");
        result!.Outcome.ShouldBe(DrainOutcome.Drained);
        result.Acknowledgements.ShouldBe(1);
    }

    [Fact]
    public async Task Pending_long_poll_is_answered_503_with_retry_after()
    {
        var name = Unique("poll");
        var url = await _app.StartListenerAsync(name);
        using var client = Net.Client(url);
        var poll = client.GetAsync("/longpoll?ms=30000");
        (await Net.EventuallyAsync(() => _app.Manager.GetListener(name)!.RequestsServed == 1)).ShouldBeTrue();

        var result = await _app.Manager.DrainAsync(name, TimeSpan.FromSeconds(5));
        using var response = await poll;

        response.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        response.Headers.RetryAfter!.Delta.ShouldBe(TimeSpan.FromSeconds(3));
        result!.Outcome.ShouldBe(DrainOutcome.Drained);
        result.Acknowledgements.ShouldBe(1);
    }

    [Fact]
    public async Task Completion_is_event_driven_and_returns_right_after_the_last_connection_closes()
    {
        var name = Unique("event");
        var url = await _app.StartListenerAsync(name);
        using var socket = await Net.ConnectAsync(url);
        await socket.SendAsync("GET /slow?ms=30000 HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray()); // Ignores the drain.
        (await Net.EventuallyAsync(() => _app.Manager.GetListener(name)!.RequestsServed == 1)).ShouldBeTrue();

        var drain = _app.Manager.DrainAsync(name, TimeSpan.FromSeconds(5));
        await _events.WaitForAsync<DrainStartedEvent>(RoadrunnerEvents.DrainStarted, e => e.ListenerName == name);
        await Task.Delay(200); // The behaviour under test: the connection closes 200 ms into the drain.
        var closedAt = Stopwatch.StartNew();
        socket.Close();
        var result = await drain;
        var lag = closedAt.Elapsed;

        output.WriteLine($"DrainAsync returned {lag.TotalMilliseconds:F1} ms after the last connection closed; drain took {result!.Elapsed.TotalMilliseconds:F1} ms.");
        result.Outcome.ShouldBe(DrainOutcome.Drained);
        lag.ShouldBeLessThan(TimeSpan.FromMilliseconds(100));
        result.Elapsed.ShouldBeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(190)); // Task.Delay may fire a few ms early.
        result.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task Two_concurrent_drains_share_one_broadcast_and_one_result()
    {
        var name = Unique("twice");
        var url = await _app.StartListenerAsync(name);
        using var ws = new ClientWebSocket();
        await ws.ConnectAsync(new Uri($"ws://127.0.0.1:{url.Port}/ws"), CancellationToken.None);

        var first = _app.Manager.DrainAsync(name, TimeSpan.FromSeconds(5));
        var second = _app.Manager.DrainAsync(name, TimeSpan.FromSeconds(1));
        var buffer = new byte[64];
        await ws.ReceiveAsync(buffer, CancellationToken.None);
        await ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        var results = await Task.WhenAll(first, second);

        results[0].ShouldBeSameAs(results[1]);
        _events.Payloads<DrainStartedEvent>(RoadrunnerEvents.DrainStarted).Count(e => e.ListenerName == name).ShouldBe(1);
        results[0]!.Acknowledgements.ShouldBe(1);
    }

    [Fact]
    public async Task A_drain_on_one_listener_does_not_disturb_another()
    {
        var drained = Unique("gone");
        var kept = Unique("kept");
        var drainedUrl = await _app.StartListenerAsync(drained);
        var keptUrl = await _app.StartListenerAsync(kept);
        using var keptClient = Net.Client(keptUrl);
        using var keptWs = new ClientWebSocket();
        await keptWs.ConnectAsync(new Uri($"ws://127.0.0.1:{keptUrl.Port}/ws"), CancellationToken.None);
        var slow = keptClient.GetStringAsync("/slow?ms=300");

        var result = await _app.Manager.DrainAsync(drained, TimeSpan.FromSeconds(5));

        result!.Outcome.ShouldBe(DrainOutcome.Drained);
        (await slow).ShouldBe("done");
        (await keptClient.GetStringAsync("/drain-state")).ShouldBe($"{kept}|False|");
        await keptWs.SendAsync("still"u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None);
        var buffer = new byte[64];
        var echo = await keptWs.ReceiveAsync(buffer, CancellationToken.None);
        Encoding.UTF8.GetString(buffer, 0, echo.Count).ShouldBe("still");
        _app.Manager.GetListener(kept)!.Status.ShouldBe(ListenerStatus.Accepting);
        (await Net.IsRefusedAsync(drainedUrl)).ShouldBeTrue();
        await keptWs.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
    }

    [Fact]
    public async Task Requests_see_the_drain_deadline_through_the_signal()
    {
        var name = Unique("deadline");
        var url = await _app.StartListenerAsync(name);
        using var client = Net.Client(url);
        (await client.GetStringAsync("/drain-state")).ShouldBe($"{name}|False|");
        var waiting = client.GetStringAsync("/wait-drain");
        (await Net.EventuallyAsync(() => _app.Manager.GetListener(name)!.RequestsServed == 2)).ShouldBeTrue();

        var before = DateTimeOffset.UtcNow;
        var result = await _app.Manager.DrainAsync(name, TimeSpan.FromSeconds(5));
        var body = await waiting;

        var deadline = DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(body["drained deadline=".Length..], System.Globalization.CultureInfo.InvariantCulture));
        deadline.ShouldBeInRange(before.AddSeconds(5).AddMilliseconds(-50), before.AddSeconds(5).AddSeconds(1));
        result!.Outcome.ShouldBe(DrainOutcome.Drained);
    }

    [Fact]
    public async Task Stop_during_a_drain_forgets_the_name_at_once_and_the_drain_still_completes()
    {
        var name = Unique("stopdrain");
        var url = await _app.StartListenerAsync(name);
        using var ws = new ClientWebSocket();
        await ws.ConnectAsync(new Uri($"ws://127.0.0.1:{url.Port}/ws"), CancellationToken.None);
        var drain = _app.Manager.DrainAsync(name, TimeSpan.FromSeconds(5));
        await _events.WaitForAsync<DrainStartedEvent>(RoadrunnerEvents.DrainStarted, e => e.ListenerName == name);

        (await _app.Manager.StopAsync(name)).ShouldBeTrue();

        _app.Manager.GetListener(name).ShouldBeNull();
        await ws.ReceiveAsync(new byte[64], CancellationToken.None);
        ws.CloseStatus.ShouldBe(WebSocketCloseStatus.EndpointUnavailable);
        await ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        var result = await drain;
        result!.Outcome.ShouldBe(DrainOutcome.Drained);
        result.Acknowledgements.ShouldBe(1);
    }
}
