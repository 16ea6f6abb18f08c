using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Roadrunner.AspNetCore.Tests.Infrastructure;

namespace Roadrunner.AspNetCore.Tests.Limits;

/// <summary>
/// Connection-scoped limits on real sockets (header and idle timeouts, requests per connection, the 503 at the
/// connection cap): set on listener A and not on B of the same app.
/// </summary>
public sealed class ConnectionLimitTests : IAsyncLifetime
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    // Kestrel's heartbeat ticks about once a second, so a timeout fires up to a tick late; the margin is for a loaded machine.
    private static readonly TimeSpan Slack = TimeSpan.FromSeconds(1) + TimeSpan.FromSeconds(1.5);
    private TestApp _app = null!;

    public async Task InitializeAsync() => _app = await TestApp.StartAsync(configureApp: LimitEndpoints.Map);

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task Headers_trickled_past_the_request_headers_timeout_close_the_connection_within_the_timeout_plus_a_tick()
    {
        var timeout = TimeSpan.FromSeconds(2);
        var a = await _app.StartListenerAsync("hdr-a", new ListenerOptions { RequestHeadersTimeout = timeout });
        var b = await _app.StartListenerAsync("hdr-b");
        using var recorder = new EventRecorder();

        using var slowA = await Net.ConnectAsync(a);
        using var slowB = await Net.ConnectAsync(b);
        var clock = Stopwatch.StartNew();
        await slowA.SendAsync("GET / HTTP/1.1\r\nHost: x\r\n"u8.ToArray());
        await slowB.SendAsync("GET / HTTP/1.1\r\nHost: x\r\n"u8.ToArray());
        var closed = Net.ReadUntilClosedAsync(slowA, Bound);

        // The slow client under test: one header byte every 250 ms, never finishing the headers.
        for (var i = 0; i < 40 && !closed.IsCompleted; i++)
        {
            try
            {
                await slowA.SendAsync("X"u8.ToArray());
                await slowB.SendAsync("X"u8.ToArray());
            }
            catch (SocketException)
            {
                break;
            }

            await Task.Delay(250);
        }

        var (bytes, _) = await closed.WaitAsync(Bound);
        var elapsed = clock.Elapsed;
        bytes.ShouldBe(0); // closed without a response
        elapsed.ShouldBeGreaterThanOrEqualTo(timeout - TimeSpan.FromMilliseconds(100));
        elapsed.ShouldBeLessThan(timeout + Slack);
        (await recorder.WaitForAsync<ConnectionLimitClosedEvent>(RoadrunnerEvents.ConnectionLimitClosed, e => e.ListenerName == "hdr-a")).Reason.ShouldBe("request_headers_timeout");

        // B, trickled just as long, still takes its request once the headers end.
        await slowB.SendAsync(": 1\r\n\r\n"u8.ToArray());
        (await Net.ReadResponseAsync(slowB)).ShouldContain("listener=hdr-b");
    }

    [Fact]
    public async Task An_idle_connection_is_closed_after_the_keep_alive_timeout_and_the_other_listener_keeps_it()
    {
        var timeout = TimeSpan.FromSeconds(2);
        var a = await _app.StartListenerAsync("idle-a", new ListenerOptions { KeepAliveTimeout = timeout });
        var b = await _app.StartListenerAsync("idle-b");

        using var idleA = await Net.ConnectAsync(a);
        using var idleB = await Net.ConnectAsync(b);
        (await Net.SendRawAsync(idleA, "/")).ShouldContain("listener=idle-a");
        (await Net.SendRawAsync(idleB, "/")).ShouldContain("listener=idle-b");
        var clock = Stopwatch.StartNew();

        var (bytes, _) = await Net.ReadUntilClosedAsync(idleA, Bound);
        var elapsed = clock.Elapsed;
        bytes.ShouldBe(0);
        elapsed.ShouldBeGreaterThanOrEqualTo(timeout - TimeSpan.FromMilliseconds(100));
        elapsed.ShouldBeLessThan(timeout + Slack);

        // Just as idle for just as long, B's connection still serves.
        (await Net.SendRawAsync(idleB, "/")).ShouldContain("listener=idle-b");
        _app.Manager.GetListener("idle-a")!.KeepAliveTimeout.ShouldBe(timeout);
    }

    [Fact]
    public async Task A_connection_that_keeps_sending_requests_is_not_closed_by_the_keep_alive_timeout()
    {
        var a = await _app.StartListenerAsync("busy-a", new ListenerOptions { KeepAliveTimeout = TimeSpan.FromSeconds(2) });
        using var socket = await Net.ConnectAsync(a);

        // A request every 500 ms for 4 s: never idle for the timeout.
        for (var i = 0; i < 8; i++)
        {
            (await Net.SendRawAsync(socket, "/")).ShouldContain("listener=busy-a");
            await Task.Delay(500);
        }

        (await Net.SendRawAsync(socket, "/")).ShouldContain("listener=busy-a");
    }

    [Fact]
    public async Task With_three_requests_per_connection_the_third_response_says_connection_close_and_the_connection_ends()
    {
        var a = await _app.StartListenerAsync("per-a", new ListenerOptions { MaxRequestsPerConnection = 3 });
        var b = await _app.StartListenerAsync("per-b");

        using var socket = await Net.ConnectAsync(a);
        (await Net.SendRawAsync(socket, "/")).ShouldNotContain("Connection: close");
        (await Net.SendRawAsync(socket, "/")).ShouldNotContain("Connection: close");
        var third = await Net.SendRawAsync(socket, "/");
        third.ShouldContain("Connection: close");
        third.ShouldContain("listener=per-a");
        (await Net.ReadUntilClosedAsync(socket, Bound)).Bytes.ShouldBe(0);

        using var other = await Net.ConnectAsync(b);
        for (var i = 0; i < 5; i++)
        {
            (await Net.SendRawAsync(other, "/")).ShouldNotContain("Connection: close");
        }
    }

    [Fact]
    public async Task Over_http2_the_last_allowed_stream_brings_a_goaway_and_a_later_stream_is_refused()
    {
        var info = await _app.Manager.StartAsync("per-h2", new ListenerOptions { Protocols = ListenerProtocols.Http2, MaxRequestsPerConnection = 2 });
        using var client = await RawHttp2Client.ConnectAsync(info.Url);

        await client.SendGetAsync(1, "/");
        await client.SendGetAsync(3, "/");
        var frames = new List<RawHttp2Client.Frame>();
        bool Done() => frames.Any(f => f.Type == RawHttp2Client.GoAway)
            && frames.Count(f => f.Type == RawHttp2Client.Headers && f.StreamId is 1 or 3) == 2;
        for (var i = 0; i < 50 && !Done(); i++)
        {
            var frame = await client.ReadFrameAsync(Bound);
            frame.ShouldNotBeNull();
            frames.Add(frame);
        }

        frames.ShouldContain(f => f.Type == RawHttp2Client.GoAway);
        frames.Count(f => f.Type == RawHttp2Client.Headers && f.StreamId is 1 or 3).ShouldBe(2);

        // A stream the client sends before it acts on the GOAWAY is not processed.
        await client.SendGetAsync(5, "/");
        RawHttp2Client.Frame? reset = null;
        var closed = false;
        for (var i = 0; i < 50 && reset is null && !closed; i++)
        {
            var frame = await client.ReadFrameAsync(Bound);
            closed = frame is null; // the server closed after its final GOAWAY: the stream was not processed either
            frame?.Type.ShouldNotBe(RawHttp2Client.Headers, "stream 5 must not be answered");
            if (frame is { Type: RawHttp2Client.RstStream, StreamId: 5 })
            {
                reset = frame;
            }
        }

        (closed || reset?.ErrorCode == RawHttp2Client.RefusedStream).ShouldBeTrue();
    }

    [Fact]
    public async Task With_service_unavailable_the_connection_over_the_cap_gets_a_503_with_retry_after_and_is_closed()
    {
        var a = await _app.StartListenerAsync("su-a", new ListenerOptions { MaxConnections = 1, MaxConnectionsBehavior = MaxConnectionsBehavior.ServiceUnavailable });
        using var first = await Net.ConnectAsync(a);
        (await Net.SendRawAsync(first, "/")).ShouldContain("listener=su-a");

        using var second = await Net.ConnectAsync(a);
        var response = await Net.SendRawAsync(second, "/");
        response.ShouldStartWith("HTTP/1.1 503 ");
        response.ShouldContain("Retry-After: 1");
        response.ShouldContain("Connection: close");
        (await Net.ReadUntilClosedAsync(second, Bound)).Bytes.ShouldBe(0);

        (await Net.SendRawAsync(first, "/")).ShouldContain("listener=su-a");
        _app.Manager.GetListener("su-a")!.ConnectionsRejected.ShouldBe(1);

        // Once the 503 connection is gone the slot count is right again: the first closes, a new one is served.
        first.Dispose();
        (await Net.EventuallyAsync(() => _app.Manager.GetListener("su-a")!.ActiveConnections == 0, Bound)).ShouldBeTrue();
        using var third = await Net.ConnectAsync(a);
        (await Net.SendRawAsync(third, "/")).ShouldContain("listener=su-a");
    }

    [Fact]
    public async Task A_connection_over_the_cap_that_sends_nothing_is_closed_after_five_seconds()
    {
        var a = await _app.StartListenerAsync("su-idle", new ListenerOptions { MaxConnections = 1, MaxConnectionsBehavior = MaxConnectionsBehavior.ServiceUnavailable });
        using var first = await Net.ConnectAsync(a);
        (await Net.SendRawAsync(first, "/")).ShouldContain("listener=su-idle");

        using var silent = await Net.ConnectAsync(a);
        var clock = Stopwatch.StartNew();
        (await Net.ReadUntilClosedAsync(silent, Bound)).Bytes.ShouldBe(0);
        clock.Elapsed.ShouldBeGreaterThanOrEqualTo(TimeSpan.FromSeconds(4.9));
        clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(5) + Slack);
    }

    [Fact]
    public async Task Without_service_unavailable_the_connection_over_the_cap_is_still_closed_without_a_byte()
    {
        var a = await _app.StartListenerAsync("close-a", new ListenerOptions { MaxConnections = 1 });
        using var first = await Net.ConnectAsync(a);
        (await Net.SendRawAsync(first, "/")).ShouldContain("listener=close-a");

        using var second = await Net.ConnectAsync(a);
        try
        {
            await second.SendAsync(Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
        }
        catch (SocketException)
        {
        }

        (await Net.ReadUntilClosedAsync(second, Bound)).Bytes.ShouldBe(0);
    }
}
