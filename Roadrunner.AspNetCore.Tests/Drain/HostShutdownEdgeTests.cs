using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Roadrunner.AspNetCore.Hosting;
using Roadrunner.AspNetCore.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Roadrunner.AspNetCore.Tests.Drain;

/// <summary>
/// Host shutdown at the edges: listeners stopped before it, a long drain running when it starts, and an infinite
/// shutdown timeout.
/// </summary>
public sealed class HostShutdownEdgeTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..24];

    [Fact]
    public async Task Host_shutdown_signals_the_open_websockets_of_a_stopped_listener_and_does_not_wait_out_the_shutdown_timeout()
    {
        var shutdownTimeout = TimeSpan.FromSeconds(10);
        using var events = new EventRecorder();
        await using var host = new StoppableHost(await TestApp.StartAsync(
            configureBuilder: b => b.Services.Configure<HostOptions>(o => o.ShutdownTimeout = shutdownTimeout)));
        var name = Unique("stopped-ws");
        var url = await host.App.StartListenerAsync(name);
        using var ws = new ClientWebSocket();
        await ws.ConnectAsync(new Uri($"ws://127.0.0.1:{url.Port}/ws"), CancellationToken.None).WaitAsync(Bound);
        (await EchoAsync(ws, "before stop")).ShouldBe("before stop");

        (await host.App.Manager.StopAsync(name)).ShouldBeTrue();

        // The listener is gone and its port closed, but its WebSocket is still served and has not been signalled.
        host.App.Manager.GetListener(name).ShouldBeNull();
        (await Net.IsRefusedAsync(url)).ShouldBeTrue();
        (await EchoAsync(ws, "after stop")).ShouldBe("after stop");

        var close = ReceiveCloseAsync(ws);
        var clock = Stopwatch.StartNew();
        var stop = host.StopAsync();
        var (status, closedAfter) = await close.WaitAsync(Bound);
        await stop.WaitAsync(Bound);
        var stoppedAfter = clock.Elapsed;
        output.WriteLine($"close status {status?.ToString() ?? "none (cut)"} after {closedAfter.TotalMilliseconds:F0} ms; host stopped after {stoppedAfter.TotalMilliseconds:F0} ms");

        // Before: the drain signal never reached a stopped listener, and Kestrel cut the socket at the ShutdownTimeout.
        status.ShouldBe(WebSocketCloseStatus.EndpointUnavailable);
        ws.CloseStatusDescription.ShouldBe("draining");
        stoppedAfter.ShouldBeLessThan(shutdownTimeout / 2);

        var started = await events.WaitForAsync<DrainStartedEvent>(RoadrunnerEvents.DrainStarted, e => e.ListenerName == name);
        var result = await events.WaitForAsync<DrainResult>(RoadrunnerEvents.DrainCompleted, e => e.ListenerName == name);
        started.Connections.ShouldBe(1);
        result.Outcome.ShouldBe(DrainOutcome.Drained);
        result.GracefulConnections.ShouldBe(1);
        result.AbortedConnections.ShouldBe(0);
        result.Acknowledgements.ShouldBe(1);
    }

    [Fact]
    public async Task Host_shutdown_ends_the_open_sse_stream_of_a_stopped_listener_with_its_drain_event()
    {
        var shutdownTimeout = TimeSpan.FromSeconds(10);
        using var events = new EventRecorder();
        await using var host = new StoppableHost(await TestApp.StartAsync(
            configureBuilder: b => b.Services.Configure<HostOptions>(o => o.ShutdownTimeout = shutdownTimeout)));
        var name = Unique("stopped-sse");
        var url = await host.App.StartListenerAsync(name);
        using var client = Net.Client(url);
        using var sse = await client.GetAsync("/sse", HttpCompletionOption.ResponseHeadersRead).WaitAsync(Bound);
        using var reader = new StreamReader(await sse.Content.ReadAsStreamAsync());
        (await reader.ReadLineAsync().WaitAsync(Bound)).ShouldBe("event: tick");

        (await host.App.Manager.StopAsync(name)).ShouldBeTrue();
        (await Net.IsRefusedAsync(url)).ShouldBeTrue();

        var clock = Stopwatch.StartNew();
        var stop = host.StopAsync();
        string rest;
        try
        {
            // Ends cleanly (chunked terminator) only if the handler saw the drain signal; a cut throws here.
            rest = await reader.ReadToEndAsync().WaitAsync(Bound);
        }
        catch (IOException ex)
        {
            rest = $"cut after {clock.Elapsed.TotalMilliseconds:F0} ms: {ex.Message}";
        }

        await stop.WaitAsync(Bound);
        var stoppedAfter = clock.Elapsed;
        output.WriteLine($"host stopped after {stoppedAfter.TotalMilliseconds:F0} ms; stream tail: {rest}");

        rest.ShouldContain("event: drain");
        rest.ShouldContain("retry: 2000");
        stoppedAfter.ShouldBeLessThan(shutdownTimeout / 2);
        var result = await events.WaitForAsync<DrainResult>(RoadrunnerEvents.DrainCompleted, e => e.ListenerName == name);
        result.Outcome.ShouldBe(DrainOutcome.Drained);
        result.GracefulConnections.ShouldBe(1);
        result.AbortedConnections.ShouldBe(0);
        result.Acknowledgements.ShouldBe(1);
    }

    [Fact]
    public async Task Host_shutdown_during_a_ten_minute_drain_moves_its_deadline_to_the_hosts_and_reports_the_cut_websockets_as_aborted()
    {
        // Host drain deadline = ShutdownTimeout (5 s) - ShutdownDrainMargin (3 s) = 2 s.
        var shutdownTimeout = TimeSpan.FromSeconds(5);
        var margin = TimeSpan.FromSeconds(3);
        var hostDrain = shutdownTimeout - margin;
        using var events = new EventRecorder();
        await using var host = new StoppableHost(await TestApp.StartAsync(
            configureBuilder: b =>
            {
                b.Services.Configure<HostOptions>(o => o.ShutdownTimeout = shutdownTimeout);
                b.Services.Configure<RoadrunnerOptions>(o => o.ShutdownDrainMargin = margin);
            },
            configureApp: MapDeadlineProbe));
        var name = Unique("long-drain");
        var url = await host.App.StartListenerAsync(name);

        // Two WebSockets that ignore the drain signal: a probe that reports the deadline it sees, and an echo.
        using var probe = new ClientWebSocket();
        await probe.ConnectAsync(new Uri($"ws://127.0.0.1:{url.Port}/ws-deadline"), CancellationToken.None).WaitAsync(Bound);
        using var echo = new ClientWebSocket();
        await echo.ConnectAsync(new Uri($"ws://127.0.0.1:{url.Port}/ws?ignoreDrain=true"), CancellationToken.None).WaitAsync(Bound);
        (await EchoAsync(echo, "hello")).ShouldBe("hello");
        (await EchoAsync(probe, "deadline?")).ShouldBe("False|");

        var drain = host.App.Manager.DrainAsync(name, TimeSpan.FromMinutes(10));
        (await events.WaitForAsync<DrainStartedEvent>(RoadrunnerEvents.DrainStarted, e => e.ListenerName == name)).Connections.ShouldBe(2);
        var longDeadline = ParseDeadline(await EchoAsync(probe, "deadline?"));
        longDeadline.ShouldBeGreaterThan(DateTimeOffset.UtcNow + TimeSpan.FromMinutes(9));

        var stopRequestedUtc = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        var stop = host.StopAsync();
        var moved = await Net.EventuallyAsync(() => DeadlineMovedLogs(host.App, name).Any(), TimeSpan.FromSeconds(3));
        var hostDeadline = ParseDeadline(await EchoAsync(probe, "deadline?"));
        var probeCut = ReceiveCloseAsync(probe);
        var echoCut = ReceiveCloseAsync(echo);

        var result = await drain.WaitAsync(Bound);
        var resultAfter = clock.Elapsed;
        var (probeStatus, _) = await probeCut.WaitAsync(Bound);
        var (echoStatus, _) = await echoCut.WaitAsync(Bound);
        await stop.WaitAsync(Bound);
        output.WriteLine($"deadline moved logged: {moved}; deadline seen by the handler: {longDeadline:O} -> {hostDeadline:O}");
        output.WriteLine($"drain result after {resultAfter.TotalMilliseconds:F0} ms of host shutdown: {result}");

        // Before: the host joined the drain with its 10-minute deadline; Kestrel cut the sockets at the ShutdownTimeout
        // and the result still said "2 graceful, 0 aborted".
        moved.ShouldBeTrue();
        hostDeadline.ShouldBeGreaterThanOrEqualTo(stopRequestedUtc + hostDrain - TimeSpan.FromMilliseconds(100));
        hostDeadline.ShouldBeLessThanOrEqualTo(DateTimeOffset.UtcNow + hostDrain);
        result.ShouldNotBeNull();
        result.Outcome.ShouldBe(DrainOutcome.TimedOut);
        result.AbortedConnections.ShouldBe(2);
        result.GracefulConnections.ShouldBe(0);
        resultAfter.ShouldBeGreaterThanOrEqualTo(hostDrain - TimeSpan.FromMilliseconds(50));
        resultAfter.ShouldBeLessThan(shutdownTimeout);

        // The drain itself cut them at its (moved) deadline: no close frame, and one abort event each.
        probeStatus.ShouldBeNull();
        echoStatus.ShouldBeNull();
        events.Payloads<ConnectionAbortedEvent>(RoadrunnerEvents.ConnectionAborted).Count(e => e.ListenerName == name).ShouldBe(2);
        DeadlineMovedLogs(host.App, name).ShouldHaveSingleItem().EventId.Name.ShouldBe("DrainDeadlineMoved");
    }

    [Fact]
    public async Task With_an_infinite_shutdown_timeout_an_in_flight_request_completes_in_full_and_sees_a_drain_without_deadline()
    {
        var body = new string('x', 256 * 1024);
        var gate = new RequestGate();
        using var events = new EventRecorder();
        await using var host = new StoppableHost(await TestApp.StartAsync(
            configureBuilder: b => b.Services.Configure<HostOptions>(o => o.ShutdownTimeout = Timeout.InfiniteTimeSpan),
            configureApp: app => app.MapGet("/gated", async (HttpContext context) =>
            {
                var signal = context.GetDrainSignal();
                gate.Entered.TrySetResult();
                var drained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                using (signal.DrainRequested.Register(() => drained.TrySetResult()))
                {
                    await drained.Task.WaitAsync(Bound, context.RequestAborted);
                }

                gate.Seen.TrySetResult((signal.IsDraining, signal.Deadline));
                await gate.Release.Task.WaitAsync(Bound, context.RequestAborted);
                await context.Response.WriteAsync(body, context.RequestAborted);
            })));
        var name = Unique("infinite");
        var url = await host.App.StartListenerAsync(name);
        using var client = Net.Client(url);

        var response = client.GetAsync("/gated");
        await gate.Entered.Task.WaitAsync(Bound);
        var stop = host.StopAsync();
        var (isDraining, deadline) = await gate.Seen.Task.WaitAsync(Bound);
        gate.Release.TrySetResult();

        HttpResponseMessage? completed = null;
        string? failure = null;
        try
        {
            completed = await response.WaitAsync(Bound);
        }
        catch (HttpRequestException ex)
        {
            failure = ex.Message;
        }

        using (completed)
        {
            output.WriteLine($"handler saw IsDraining={isDraining}, Deadline={deadline?.ToString("O", CultureInfo.InvariantCulture) ?? "none"}; response: {completed?.StatusCode.ToString() ?? failure}");

            // Before: Infinite - margin was clamped to zero, so the request was reset as soon as the drain began.
            isDraining.ShouldBeTrue();
            deadline.ShouldBeNull();
            completed.ShouldNotBeNull(failure);
            completed.StatusCode.ShouldBe(HttpStatusCode.OK);
            (await completed.Content.ReadAsStringAsync().WaitAsync(Bound)).ShouldBe(body);
        }

        await stop.WaitAsync(Bound);
        var started = await events.WaitForAsync<DrainStartedEvent>(RoadrunnerEvents.DrainStarted, e => e.ListenerName == name);
        var result = await events.WaitForAsync<DrainResult>(RoadrunnerEvents.DrainCompleted, e => e.ListenerName == name);
        started.Deadline.ShouldBe(DateTimeOffset.MaxValue); // The event's way of saying "no deadline".
        result.Outcome.ShouldBe(DrainOutcome.Drained);
        result.GracefulConnections.ShouldBe(1);
        result.AbortedConnections.ShouldBe(0);
    }

    [Theory]
    [InlineData(-1, 2_000, -1)] // Timeout.InfiniteTimeSpan: a drain without deadline.
    [InlineData(30_000, 2_000, 28_000)]
    [InlineData(1_000, 2_000, 0)]
    [InlineData(2_000, 2_000, 0)]
    [InlineData(5_000, 0, 5_000)]
    public void Drain_timeout_is_the_shutdown_timeout_less_the_margin_never_negative_and_infinite_stays_infinite(int shutdownMs, int marginMs, int expectedMs)
    {
        var timeout = RoadrunnerHostedService.DrainTimeout(TimeSpan.FromMilliseconds(shutdownMs), TimeSpan.FromMilliseconds(marginMs));

        timeout.ShouldBe(TimeSpan.FromMilliseconds(expectedMs));
        if (shutdownMs == -1)
        {
            timeout.ShouldBe(Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>A WebSocket that ignores the drain signal and answers every message with what its signal says.</summary>
    private static void MapDeadlineProbe(WebApplication app) => app.Map("/ws-deadline", async (HttpContext context) =>
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        var signal = context.GetDrainSignal();
        var buffer = new byte[256];
        try
        {
            while (true)
            {
                var message = await socket.ReceiveAsync(buffer.AsMemory(), CancellationToken.None);
                if (message.MessageType == WebSocketMessageType.Close)
                {
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
                    return;
                }

                var reply = $"{signal.IsDraining}|{signal.Deadline?.ToUnixTimeMilliseconds()}";
                await socket.SendAsync(Encoding.UTF8.GetBytes(reply), WebSocketMessageType.Text, true, CancellationToken.None);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
        {
            // Cut at the drain deadline.
        }
    });

    private static IEnumerable<LogRecorder.LogEntry> DeadlineMovedLogs(TestApp app, string name) =>
        app.Logs.Entries.Where(e => e.EventId.Id == 16 && e.Message.Contains($"'{name}'", StringComparison.Ordinal));

    private static DateTimeOffset ParseDeadline(string reply)
    {
        var parts = reply.Split('|');
        parts[0].ShouldBe("True", $"the probe was not draining: {reply}");
        parts[1].ShouldNotBeEmpty($"the probe saw no deadline: {reply}");
        return DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(parts[1], CultureInfo.InvariantCulture));
    }

    private static async Task<string> EchoAsync(ClientWebSocket ws, string text)
    {
        await ws.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None).WaitAsync(Bound);
        var buffer = new byte[4096];
        var result = await ws.ReceiveAsync(buffer, CancellationToken.None).WaitAsync(Bound);
        result.MessageType.ShouldBe(WebSocketMessageType.Text);
        return Encoding.UTF8.GetString(buffer, 0, result.Count);
    }

    /// <summary>Reads until the server's close frame (its status) or until the socket is cut (<see langword="null"/>).</summary>
    private static async Task<(WebSocketCloseStatus? Status, TimeSpan After)> ReceiveCloseAsync(ClientWebSocket ws)
    {
        var clock = Stopwatch.StartNew();
        var buffer = new byte[4096];
        try
        {
            while (true)
            {
                var result = await ws.ReceiveAsync(buffer, CancellationToken.None);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    var status = ws.CloseStatus;
                    await ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
                    return (status, clock.Elapsed);
                }
            }
        }
        catch (WebSocketException)
        {
            return (null, clock.Elapsed);
        }
    }

    private sealed class RequestGate
    {
        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource<(bool IsDraining, DateTimeOffset? Deadline)> Seen { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>The app under test, stopped by the test itself; disposing it stops it if the test did not get there.</summary>
    private sealed class StoppableHost(TestApp app) : IAsyncDisposable
    {
        private Task? _stop;

        public TestApp App => app;

        /// <summary>Host shutdown, as <c>app.StopAsync()</c> does it, bounded so a broken drain cannot hang the run.</summary>
        public Task StopAsync() => _stop ??= Task.Run(async () =>
        {
            using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await app.App.StopAsync(bound.Token);
        });

        public async ValueTask DisposeAsync()
        {
            if (_stop is null)
            {
                await app.DisposeAsync();
                return;
            }

            try
            {
                await _stop.WaitAsync(TimeSpan.FromSeconds(40));
            }
            finally
            {
                await app.App.DisposeAsync();
            }
        }
    }
}
