using System.Net;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Roadrunner.AspNetCore.Tests.Infrastructure;

namespace Roadrunner.AspNetCore.Tests.Drain;

/// <summary>Shutdown delay with readiness first, drain spread and ordered drains: what a rolling restart needs.</summary>
public sealed class RollingRestartTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task During_the_shutdown_delay_readiness_is_503_while_listeners_serve_then_the_drain_starts_with_the_documented_deadline()
    {
        using var events = new EventRecorder();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var app = await TestApp.StartAsync(
            configureBuilder: b =>
            {
                b.Services.AddSingleton<TimeProvider>(time);
                b.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(30));
                b.Services.Configure<RoadrunnerOptions>(o => o.ShutdownDelay = TimeSpan.FromSeconds(5));
                b.Services.AddHealthChecks().AddRoadrunner();
            },
            configureApp: a => a.MapHealthChecks("/readyz"));
        var url = await app.StartListenerAsync("delayed");
        using var client = Net.Client(url);
        (await client.GetAsync("/readyz")).StatusCode.ShouldBe(HttpStatusCode.OK);

        var shutdownStartedAt = time.GetUtcNow();
        var stopping = app.DisposeAsync().AsTask();

        // Readiness flips at once; the listener still serves, and each HTTP/1.1 response closes its connection.
        (await Net.EventuallyAsync(() => ((Roadrunner.AspNetCore.Listeners.ListenerManager)app.Manager).IsShuttingDown)).ShouldBeTrue();
        var readiness = await client.GetAsync("/readyz").WaitAsync(Bound);
        readiness.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        var report = await app.App.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        report.Entries["roadrunner"].Description.ShouldNotBeNull().ShouldContain("still serving until");
        var during = await client.GetAsync("/").WaitAsync(Bound);
        during.StatusCode.ShouldBe(HttpStatusCode.OK);
        during.Headers.ConnectionClose.ShouldBe(true);
        app.Manager.GetListener("delayed")!.Status.ShouldBe(ListenerStatus.Accepting);
        events.Payloads<DrainStartedEvent>(RoadrunnerEvents.DrainStarted).ShouldNotContain(e => e.ListenerName == "delayed");

        time.Advance(TimeSpan.FromSeconds(5));
        var started = await events.WaitForAsync<DrainStartedEvent>(RoadrunnerEvents.DrainStarted, e => e.ListenerName == "delayed", Bound);
        await stopping.WaitAsync(Bound);

        // ShutdownTimeout 30 s − ShutdownDelay 5 s − ShutdownDrainMargin 2 s, from the end of the delay.
        started.Deadline.ShouldBe(shutdownStartedAt + TimeSpan.FromSeconds(5) + TimeSpan.FromSeconds(23));
        app.Logs.Entries.ShouldContain(e => e.EventId.Id == 22 && e.Message.Contains("shutdown delay 00:00:05", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Pooled_keep_alive_connections_that_send_right_as_shutdown_begins_are_served_and_closed_cleanly_before_the_drain()
    {
        const int pooled = 8;
        using var events = new EventRecorder();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var app = await TestApp.StartAsync(configureBuilder: b =>
        {
            b.Services.AddSingleton<TimeProvider>(time);
            b.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(30));
            b.Services.Configure<RoadrunnerOptions>(o => o.ShutdownDelay = TimeSpan.FromSeconds(5));
        });
        var url = await app.StartListenerAsync("pooled");
        var sockets = new List<System.Net.Sockets.Socket>();
        try
        {
            // Pooled connections: each served once and kept alive, as a client's or a balancer's pool holds them.
            for (var i = 0; i < pooled; i++)
            {
                var socket = await Net.ConnectAsync(url);
                sockets.Add(socket);
                (await Net.SendRawAsync(socket, "/").WaitAsync(Bound)).ShouldContain("listener=pooled");
            }

            var idle = await Net.ConnectAsync(url); // never sends again: what the drain itself must close
            sockets.Add(idle);
            (await Net.SendRawAsync(idle, "/").WaitAsync(Bound)).ShouldContain("listener=pooled");

            // The race: requests sent on pooled connections in the very instant shutdown begins.
            var stopping = app.DisposeAsync().AsTask();
            (await Net.EventuallyAsync(() => ((Roadrunner.AspNetCore.Listeners.ListenerManager)app.Manager).IsShuttingDown)).ShouldBeTrue();
            var responses = await Task.WhenAll(sockets.Take(pooled).Select(s => Net.SendRawAsync(s, "/"))).WaitAsync(Bound);

            // Every one is served, and its response moves the client off this connection.
            responses.ShouldAllBe(r => r.StartsWith("HTTP/1.1 200", StringComparison.Ordinal) && r.Contains("Connection: close", StringComparison.Ordinal));
            foreach (var socket in sockets.Take(pooled))
            {
                (await Net.ReadUntilClosedAsync(socket, Bound)).ShouldBe((0, false)); // a clean FIN, no reset
            }

            // The server forgets a connection once its handlers are done and its socket is closed, a moment after the
            // client saw the FIN. Then the drain after the delay finds only the connection that stayed idle, and closes
            // it with a FIN too.
            (await Net.EventuallyAsync(() => app.Manager.GetListener("pooled")?.ActiveConnections == 1)).ShouldBeTrue();
            time.Advance(TimeSpan.FromSeconds(5));
            var started = await events.WaitForAsync<DrainStartedEvent>(RoadrunnerEvents.DrainStarted, e => e.ListenerName == "pooled", Bound);
            started.Connections.ShouldBe(1);
            (await Net.ReadUntilClosedAsync(idle, Bound)).ShouldBe((0, false));
            await stopping.WaitAsync(Bound);
        }
        finally
        {
            sockets.ForEach(s => s.Dispose());
        }
    }

    [Fact]
    public async Task A_delay_that_leaves_no_time_to_drain_fails_start_up_naming_the_three_values()
    {
        var failure = await Should.ThrowAsync<OptionsValidationException>(() => TestApp.StartAsync(configureBuilder: b =>
        {
            b.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(10));
            b.Services.Configure<RoadrunnerOptions>(o => o.ShutdownDelay = TimeSpan.FromSeconds(9));
        }));

        failure.Message.ShouldContain("Roadrunner:ShutdownDelay");
        failure.Message.ShouldContain("00:00:09");
        failure.Message.ShouldContain("ShutdownDrainMargin 00:00:02");
        failure.Message.ShouldContain("ShutdownTimeout 00:00:10");
    }

    [Fact]
    public async Task With_a_drain_spread_the_websockets_hear_the_drain_over_the_window_and_all_before_the_deadline()
    {
        const int count = 50;
        await using var app = await TestApp.StartAsync();
        var url = await app.StartListenerAsync("spread", new ListenerOptions { DrainSpread = TimeSpan.FromSeconds(1) });
        var sockets = new List<ClientWebSocket>();
        try
        {
            for (var i = 0; i < count; i++)
            {
                var ws = new ClientWebSocket();
                sockets.Add(ws);
                await ws.ConnectAsync(new Uri($"ws://127.0.0.1:{url.Port}/ws"), CancellationToken.None).WaitAsync(Bound);
            }

            var closes = sockets.Select(CloseTimestampAsync).ToList();
            var drainStart = System.Diagnostics.Stopwatch.GetTimestamp();
            var drainCalledAt = DateTimeOffset.UtcNow;
            var result = await app.Manager.DrainAsync("spread", TimeSpan.FromSeconds(10)).WaitAsync(Bound);
            var closedAt = await Task.WhenAll(closes).WaitAsync(Bound);

            result!.Outcome.ShouldBe(DrainOutcome.Drained);
            result.GracefulConnections.ShouldBe(count);
            var first = closedAt.Min();
            var last = closedAt.Max();
            System.Diagnostics.Stopwatch.GetElapsedTime(first, last).ShouldBeGreaterThanOrEqualTo(TimeSpan.FromSeconds(0.7));
            System.Diagnostics.Stopwatch.GetElapsedTime(drainStart, last).ShouldBeLessThan(TimeSpan.FromSeconds(10));

            // The result says when the spread told its last request: near the end of the 1 s window, not at the start.
            result.LastSignalAt.ShouldNotBeNull();
            (result.LastSignalAt.Value - drainCalledAt).ShouldBeInRange(TimeSpan.FromSeconds(0.7), TimeSpan.FromSeconds(10));
        }
        finally
        {
            sockets.ForEach(s => s.Dispose());
        }
    }

    [Fact]
    public async Task With_a_drain_spread_the_sse_retry_hint_gets_jitter_and_without_one_it_is_sent_as_given()
    {
        const int count = 12;
        await using var app = await TestApp.StartAsync();
        var spread = await app.StartListenerAsync("sse-spread", new ListenerOptions { DrainSpread = TimeSpan.FromMilliseconds(500) });
        var plain = await app.StartListenerAsync("sse-plain");

        var spreadHints = await RetryHintsAfterDrainAsync(app, "sse-spread", spread, count);
        var plainHints = await RetryHintsAfterDrainAsync(app, "sse-plain", plain, 2);

        // The endpoint asks for 2000 ms; the spread listener stretches it by 0-50 %, differently per stream.
        spreadHints.ShouldAllBe(ms => ms >= 2000 && ms < 3000);
        spreadHints.Distinct().Count().ShouldBeGreaterThan(1);
        plainHints.ShouldAllBe(ms => ms == 2000);
    }

    private static async Task<List<int>> RetryHintsAfterDrainAsync(TestApp app, string name, Uri url, int count)
    {
        using var client = Net.Client(url);
        var streams = new List<StreamReader>();
        try
        {
            for (var i = 0; i < count; i++)
            {
                var response = await client.GetAsync("/sse", HttpCompletionOption.ResponseHeadersRead).WaitAsync(Bound);
                var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
                streams.Add(reader);
                (await reader.ReadLineAsync().WaitAsync(Bound)).ShouldBe("event: tick");
            }

            var drain = app.Manager.DrainAsync(name, TimeSpan.FromSeconds(10));
            var rests = await Task.WhenAll(streams.Select(r => r.ReadToEndAsync())).WaitAsync(Bound);
            (await drain.WaitAsync(Bound))!.Outcome.ShouldBe(DrainOutcome.Drained);
            return rests
                .Select(rest => rest.Split('\n').Single(line => line.StartsWith("retry: ", StringComparison.Ordinal)))
                .Select(line => int.Parse(line["retry: ".Length..], System.Globalization.CultureInfo.InvariantCulture))
                .ToList();
        }
        finally
        {
            streams.ForEach(s => s.Dispose());
        }
    }

    [Fact]
    public async Task Ordered_drain_keeps_a_later_group_accepting_while_the_first_group_drains()
    {
        await using var app = await TestApp.StartAsync();
        var first = await app.StartListenerAsync("first");
        var last = await app.StartListenerAsync("last", new ListenerOptions { ShutdownOrder = 1 });
        using var holder = new ClientWebSocket();
        await holder.ConnectAsync(new Uri($"ws://127.0.0.1:{first.Port}/ws?ignoreDrain=true"), CancellationToken.None).WaitAsync(Bound);

        var all = app.Manager.DrainAllAsync(TimeSpan.FromSeconds(10));
        (await Net.EventuallyAsync(() => app.Manager.GetListener("first")?.Status == ListenerStatus.Draining)).ShouldBeTrue();

        // Group 0 is still draining (its WebSocket ignores the signal); group 1 still serves new connections.
        using (var client = Net.Client(last))
        {
            (await client.GetStringAsync("/").WaitAsync(Bound)).ShouldBe("listener=last");
        }

        app.Manager.GetListener("last")!.Status.ShouldBe(ListenerStatus.Accepting);
        await holder.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        var results = await all.WaitAsync(Bound);

        results.Select(r => r.ListenerName).ShouldBe(["first", "last"]);
        app.Manager.Names.ShouldBeEmpty();
    }

    private static async Task<long> CloseTimestampAsync(ClientWebSocket ws)
    {
        var buffer = new byte[64];
        while (true)
        {
            var received = await ws.ReceiveAsync(buffer, CancellationToken.None);
            if (received.MessageType == WebSocketMessageType.Close)
            {
                var at = System.Diagnostics.Stopwatch.GetTimestamp();
                ws.CloseStatus.ShouldBe(WebSocketCloseStatus.EndpointUnavailable);
                await ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
                return at;
            }
        }
    }
}
