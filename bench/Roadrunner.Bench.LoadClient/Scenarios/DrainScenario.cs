using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Roadrunner.Bench.Load;

namespace Roadrunner.Bench.LoadClient.Scenarios;

/// <summary>
/// Scenario 7 against a fresh server process (client and server sockets together would pass this sandbox's
/// 20,000-descriptor limit in one process): 10,000 idle keep-alive connections plus 1,000 drain-aware WebSockets
/// drained to <c>Drained</c>; then 1,000 WebSockets that ignore the signal, drained with a 1 s deadline.
/// </summary>
internal static class DrainScenario
{
    private const int IdleConnections = 10_000;
    private const int WebSockets = 1_000;

    public static async Task<ScenarioResult> RunAsync(BenchContext context)
    {
        BenchContext.Log($"drain: {IdleConnections:N0} idle keep-alive + {WebSockets:N0} WebSockets → Drained; {WebSockets:N0} WebSockets ignoring the drain, 1 s deadline → TimedOut");
        await using var server = await ServerProcess.StartAsync(context.ServerDll);
        var graceful = new List<GracefulRun>();
        var timedOut = new List<TimeoutRun>();

        // Run 0 is the first drain in a fresh process (cold: JIT, pools, thread-pool growth), reported on its own;
        // the median is over the warm runs after it.
        for (var run = 0; run <= context.Repeats; run++)
        {
            graceful.Add(await GracefulAsync(context, server, run));
            timedOut.Add(await TimeoutAsync(context, server, run));
        }

        var cold = (Graceful: graceful[0], TimedOut: timedOut[0]);
        graceful.RemoveAt(0);
        timedOut.RemoveAt(0);

        var result = new ScenarioResult
        {
            Name = "drain",
            Title = "Drain at scale, one listener: 10,000 idle connections + 1,000 WebSockets; 1,000 WebSockets ignoring the drain",
            RanAt = DateTimeOffset.UtcNow,
            Quick = context.Quick,
            Method =
                $"A fresh server process; {context.Repeats + 1} runs of each case, each on a new listener; the first (cold) run is reported on its own, the median is over the others. Case 1: the load client opens {IdleConnections:N0} HTTP/1.1 connections " +
                $"(each sends `GET /hello` and stays idle, keep-alive) from 127.0.0.2–127.0.0.9 and {WebSockets:N0} WebSockets to an echo handler that loops on " +
                "`DrainAwareWebSocket.ReceiveAsync` and calls `CloseForDrainAsync` (each socket confirmed open by one echo; the listener's `ActiveConnections` checked), " +
                "then `DrainAsync(name, 10 s)` is called through the server's control endpoint. Time = `DrainResult.Elapsed` (from the call to the last connection closed); " +
                "the client also records when its last socket saw the close. Case 2: 1,000 WebSockets whose handler ignores the signal (plain `ReceiveAsync`), " +
                "`DrainAsync(name, 1 s)`; the client counts sockets aborted and still open, and the server's open file descriptors are compared with before; " +
                "the server also timestamps the library's DrainStarted, ConnectionAborted and DrainCompleted events (a DiagnosticListener subscription enabled for these runs only).",
        };
        result.Metrics.Add(Metric.Of($"{IdleConnections:N0} idle HTTP/1.1 + {WebSockets:N0} WebSockets: DrainAsync → Drained", [.. graceful.Select(g => g.ElapsedMs)], "ms")
            .WithTarget("<=", 1000, "< 1 s").OnChart("drain", "11,000 connections → Drained"));
        result.Metrics.Add(Metric.Of("same, until the client saw its last socket closed", [.. graceful.Select(g => g.ClientAllClosedMs)], "ms"));
        result.Metrics.Add(new Metric
        {
            Label = "same: runs with outcome Drained, every WebSocket closed with 1001 and acknowledged",
            Value = graceful.Count(g => g.Ok),
            Unit = $"of {graceful.Count} runs",
            Runs = graceful.Count,
            Comparison = ">=",
            Target = graceful.Count,
            TargetText = "all",
        });
        result.Metrics.Add(Metric.Of($"{WebSockets:N0} WebSockets ignoring the drain, 1 s deadline: DrainAsync → TimedOut", [.. timedOut.Select(t => t.ElapsedMs)], "ms")
            .WithTarget("<=", 1100, "≤ deadline + 100 ms").OnChart("drain", "1,000 ignoring, 1 s deadline → TimedOut"));
        result.Metrics.Add(new Metric
        {
            Label = "same: runs with outcome TimedOut, 1,000 aborted, none left open (client sockets, server descriptors)",
            Value = timedOut.Count(t => t.Ok),
            Unit = $"of {timedOut.Count} runs",
            Runs = timedOut.Count,
            Comparison = ">=",
            Target = timedOut.Count,
            TargetText = "all",
        });
        result.Metrics.Add(Metric.Of("same, until the client saw its last socket aborted", [.. timedOut.Select(t => t.ClientAllClosedMs)], "ms"));
        // From the deadline to DrainCompleted: how late the wait ended plus the aborts (whatever order the library
        // emits its per-connection events in). The raw timeline keeps the first and last ConnectionAborted event.
        result.Metrics.Add(Metric.Of("same: from the deadline to the result (the wait's overshoot plus aborting the 1,000)",
            [.. timedOut.Select(t => t.Timeline("completedMs") - t.Timeline("deadlineMs"))], "ms"));
        result.Metrics.Add(Metric.Of("cold (the process's first drain): 11,000 connections → Drained", [cold.Graceful.ElapsedMs], "ms"));
        result.Metrics.Add(Metric.Of("cold (the process's first drain): 1,000 ignoring, 1 s deadline → TimedOut", [cold.TimedOut.ElapsedMs], "ms"));
        result.Raw = new JsonObject
        {
            ["coldGraceful"] = cold.Graceful.Json,
            ["coldTimedOut"] = cold.TimedOut.Json,
            ["graceful"] = new JsonArray([.. graceful.Select(g => (JsonNode)g.Json)]),
            ["timedOut"] = new JsonArray([.. timedOut.Select(t => (JsonNode)t.Json)]),
        };
        foreach (var bad in graceful.Where(g => !g.Ok).Concat<object>(timedOut.Where(t => !t.Ok)))
        {
            result.Notes.Add($"Failed run: {bad}");
        }

        return result;
    }

    private sealed record GracefulRun(bool Ok, double ElapsedMs, double ClientAllClosedMs, JsonObject Json);

    private sealed record TimeoutRun(bool Ok, double ElapsedMs, double ClientAllClosedMs, JsonObject Json)
    {
        public double Timeline(string key) => Json["result"]?["timeline"]?[key]?.GetValue<double>() ?? double.NaN;
    }

    private static async Task<GracefulRun> GracefulAsync(BenchContext context, ServerProcess server, int run)
    {
        var name = $"drain-{run}";
        var url = await server.StartListenerAsync(name);
        var setupStart = Stopwatch.GetTimestamp();
        using var idle = await IdleConnectionSet.OpenAsync(new Uri(url + "/hello"), IdleConnections, context.SourceAddresses, parallelism: 64);
        using var sockets = await WebSocketSet.OpenAsync(new Uri(url.Replace("http://", "ws://", StringComparison.Ordinal) + "/ws"), WebSockets, context.SourceAddresses);
        var setupMs = Stopwatch.GetElapsedTime(setupStart).TotalMilliseconds;
        var active = await WaitForActiveAsync(server, name, IdleConnections + WebSockets);

        idle.StartWatching();
        sockets.StartWatching();
        var t0 = Stopwatch.GetTimestamp();
        var drain = await server.PostAsync($"/control/listeners/{name}/drain?timeoutMs=10000");
        var allClosed = await idle.WhenAllClosedAsync(TimeSpan.FromSeconds(15)) & await sockets.WhenAllClosedAsync(TimeSpan.FromSeconds(15));
        var clientMs = Stopwatch.GetElapsedTime(t0, Math.Max(idle.LastClosedAt, sockets.LastClosedAt)).TotalMilliseconds;

        var outcome = drain["outcome"]!.GetValue<string>();
        var elapsed = drain["elapsedMs"]!.GetValue<double>();
        var acks = drain["acknowledgements"]!.GetValue<int>();
        var ok = outcome == "Drained" && allClosed && active == IdleConnections + WebSockets
            && sockets.GracefulCount == WebSockets && sockets.FirstCloseStatus == System.Net.WebSockets.WebSocketCloseStatus.EndpointUnavailable
            && acks == WebSockets;
        BenchContext.Log(string.Create(CultureInfo.InvariantCulture,
            $"  drain run {run + 1}: {outcome} in {elapsed:0.0} ms (client saw all closed at {clientMs:0.0} ms), graceful {drain["gracefulConnections"]}, acks {acks}, ws graceful {sockets.GracefulCount}, setup {setupMs:N0} ms"));
        var json = new JsonObject
        {
            ["ok"] = ok,
            ["activeBefore"] = active,
            ["result"] = drain,
            ["clientAllClosedMs"] = Math.Round(clientMs, 1),
            ["clientAllClosed"] = allClosed,
            ["webSocketsGraceful"] = sockets.GracefulCount,
            ["webSocketsAborted"] = sockets.AbortedCount,
            ["firstCloseStatus"] = sockets.FirstCloseStatus?.ToString(),
            ["setupMs"] = Math.Round(setupMs),
        };
        return new GracefulRun(ok, elapsed, clientMs, json);
    }

    private static async Task<TimeoutRun> TimeoutAsync(BenchContext context, ServerProcess server, int run)
    {
        var name = $"drain-timeout-{run}";
        var url = await server.StartListenerAsync(name);
        var fdsBefore = (await server.StatsAsync(gc: false))["fds"]!.GetValue<int>();
        using var sockets = await WebSocketSet.OpenAsync(new Uri(url.Replace("http://", "ws://", StringComparison.Ordinal) + "/ws?ignoreDrain=1"), WebSockets, context.SourceAddresses);
        var active = await WaitForActiveAsync(server, name, WebSockets);
        sockets.StartWatching();

        var t0 = Stopwatch.GetTimestamp();
        var drain = await server.PostAsync($"/control/listeners/{name}/drain?timeoutMs=1000&timeline=true");
        var allClosed = await sockets.WhenAllClosedAsync(TimeSpan.FromSeconds(5));
        var clientMs = Stopwatch.GetElapsedTime(t0, sockets.LastClosedAt).TotalMilliseconds;

        // The server side: every aborted connection's descriptor is released.
        var fdsAfter = 0;
        var wait = Stopwatch.StartNew();
        do
        {
            fdsAfter = (await server.StatsAsync(gc: false))["fds"]!.GetValue<int>();
            if (fdsAfter <= fdsBefore + 2)
            {
                break;
            }

            await Task.Delay(50);
        }
        while (wait.Elapsed < TimeSpan.FromSeconds(5));

        var outcome = drain["outcome"]!.GetValue<string>();
        var elapsed = drain["elapsedMs"]!.GetValue<double>();
        var aborted = drain["abortedConnections"]!.GetValue<int>();
        var timeline = drain["timeline"]!.AsObject();
        double T(string key) => timeline[key]?.GetValue<double>() ?? double.NaN;
        var ok = outcome == "TimedOut" && aborted == WebSockets && allClosed && sockets.OpenCount == 0
            && active == WebSockets && elapsed <= 1100 && fdsAfter <= fdsBefore + 2;
        BenchContext.Log(string.Create(CultureInfo.InvariantCulture,
            $"  timeout run {run + 1}: {outcome} in {elapsed:0.0} ms, aborted {aborted}, client open {sockets.OpenCount} (aborted {sockets.AbortedCount}, graceful {sockets.GracefulCount}) at {clientMs:0.0} ms, server fds {fdsBefore} → {fdsAfter}; " +
            $"events: drain started {T("drainStartedMs"):0.0}, deadline {T("deadlineMs"):0.0}, aborts {T("firstAbortMs"):0.0}–{T("lastAbortMs"):0.0}, completed {T("completedMs"):0.0} ms"));
        var json = new JsonObject
        {
            ["ok"] = ok,
            ["activeBefore"] = active,
            ["result"] = drain,
            ["clientAllClosedMs"] = Math.Round(clientMs, 1),
            ["clientOpen"] = sockets.OpenCount,
            ["clientAborted"] = sockets.AbortedCount,
            ["clientGraceful"] = sockets.GracefulCount,
            ["serverFdsBefore"] = fdsBefore,
            ["serverFdsAfter"] = fdsAfter,
        };
        return new TimeoutRun(ok, elapsed, clientMs, json);
    }

    private static async Task<int> WaitForActiveAsync(ServerProcess server, string name, int expected)
    {
        var wait = Stopwatch.StartNew();
        int active;
        while ((active = await server.ActiveConnectionsAsync(name)) < expected && wait.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(50);
        }

        return active;
    }
}
