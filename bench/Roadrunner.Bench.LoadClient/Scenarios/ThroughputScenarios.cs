using System.Text.Json.Nodes;
using Roadrunner.Bench.Load;

namespace Roadrunner.Bench.LoadClient.Scenarios;

/// <summary>Scenarios 1–5: the same /hello on two arms of one server process, A and B alternating, ratios B/A.</summary>
internal static partial class ThroughputScenarios
{
    private enum Tool
    {
        Wrk,
        WrkClose,
        H2load,
    }

    private sealed record Arm(string Name, string UrlKey);

    private sealed record Spec(string Name, string Title, Arm A, Arm B, Tool Tool, int Connections, int Streams = 1);

    public static Task<ScenarioResult> HelloAsync(BenchContext context, ServerProcess server) =>
        RunAsync(context, server, new Spec("hello", "HTTP/1.1 keep-alive hello, 50 connections (wrk)", new("plain", "plainH1"), new("roadrunner", "rrH1"), Tool.Wrk, 50), result =>
        {
            result.Metrics[0].WithTarget(">=", 0.97).OnChart("ratio", "HTTP/1.1 req/s");
            result.Metrics[1].WithTarget("<=", 1.05).OnChart("ratio", "HTTP/1.1 p99 latency");
        });

    public static Task<ScenarioResult> H2cAsync(BenchContext context, ServerProcess server) =>
        RunAsync(context, server, new Spec("h2c", "h2c hello, 50 connections × 10 streams (h2load)", new("plain", "plainH2c"), new("roadrunner", "rrH2c"), Tool.H2load, 50, 10), result =>
            result.Metrics[0].WithTarget(">=", 0.97).OnChart("ratio", "h2c req/s"));

    public static Task<ScenarioResult> TlsAsync(BenchContext context, ServerProcess server) =>
        RunAsync(context, server, new Spec("tls", "TLS HTTP/1.1 keep-alive hello, 50 connections (wrk)", new("plain", "plainTls"), new("roadrunner", "rrTls"), Tool.Wrk, 50), result =>
            result.Metrics[0].WithTarget(">=", 0.97).OnChart("ratio", "TLS req/s"));

    public static Task<ScenarioResult> ChurnAsync(BenchContext context, ServerProcess server) =>
        RunAsync(context, server, new Spec("churn", "Connection churn: a new connection per request, 50 connections (wrk -H \"Connection: close\")", new("plain", "plainH1"), new("roadrunner", "rrH1"), Tool.WrkClose, 50), result =>
            result.Metrics[0].WithTarget(">=", 0.95).OnChart("ratio", "churn req/s"));

    public static async Task<ScenarioResult> MiddlewareAsync(BenchContext context, ServerProcess server)
    {
        var result = await RunAsync(context, server, new Spec("middleware", "UseRoadrunnerDrain() on vs off, same kind of listener, 50 connections (wrk)", new("drain off", "rrH1"), new("drain on", "rrDrain"), Tool.Wrk, 50), result =>
            result.Metrics[0].WithTarget(">=", 0.99).OnChart("ratio", "UseRoadrunnerDrain req/s"));

        // Exact allocation of the middleware: a thread allocation counter read right before and right after it.
        var probe = await ProbeAsync(context, server, "rrProbe", newConnectionPerRequest: false);
        var harness = await ProbeAsync(context, server, "rrProbe0", newConnectionPerRequest: false);
        var churn = await ProbeAsync(context, server, "rrProbe", newConnectionPerRequest: true);
        var later = probe.LaterRequests > 0 ? probe.LaterBytes / (double)probe.LaterRequests : double.NaN;
        result.Metrics.Insert(1, new Metric
        {
            Label = "bytes allocated by the middleware per request (keep-alive; every request after a connection's first)",
            Value = later,
            Unit = "B/req",
            Runs = 1,
        }.WithTarget("<=", 0, "0 bytes"));
        result.Metrics.Add(new Metric
        {
            Label = "bytes allocated by the middleware on a connection's first request (once per connection)",
            Value = probe.FirstRequests > 0 ? probe.FirstBytes / (double)probe.FirstRequests : double.NaN,
            Unit = "B",
            Runs = 1,
        });
        result.Metrics.Add(new Metric
        {
            Label = "same, a new connection per request (so every request is a first)",
            Value = churn.Requests > 0 ? churn.Bytes / (double)churn.Requests : double.NaN,
            Unit = "B/req",
            Runs = 1,
        });
        result.Metrics.Add(new Metric
        {
            Label = "probe harness alone, nothing between the counter reads (should be 0)",
            Value = harness.Requests > 0 ? harness.Bytes / (double)harness.Requests : double.NaN,
            Unit = "B/req",
            Runs = 1,
        });
        result.Notes.Add(
            $"Allocation figures: the server's `rr-probe` listener runs `GC.GetAllocatedBytesForCurrentThread()` right before and right after " +
            $"`UseRoadrunnerDrain()` (the middleware is synchronous up to its call of the next delegate, so both reads are on the request's thread " +
            $"and see exactly its allocations); {probe.Requests:N0} real keep-alive requests over {probe.FirstRequests} connections from the in-repo load client, " +
            $"then {churn.Requests:N0} requests with a new connection each. `rr-probe0` runs the same two reads with nothing in between.");
        result.Raw!["probe"] = probe.ToJson();
        result.Raw!["probeHarness"] = harness.ToJson();
        result.Raw!["probeChurn"] = churn.ToJson();
        return result;
    }

    private sealed record ProbeResult(long Requests, long Bytes, long FirstRequests, long FirstBytes, long LaterRequests, long LaterBytes, long MaxLaterBytes)
    {
        public JsonObject ToJson() => new()
        {
            ["requests"] = Requests,
            ["bytes"] = Bytes,
            ["firstRequests"] = FirstRequests,
            ["firstBytes"] = FirstBytes,
            ["laterRequests"] = LaterRequests,
            ["laterBytes"] = LaterBytes,
            ["maxLaterBytes"] = MaxLaterBytes,
        };
    }

    private static async Task<ProbeResult> ProbeAsync(BenchContext context, ServerProcess server, string urlKey, bool newConnectionPerRequest)
    {
        await server.PostAsync("/control/probe/reset");
        var load = await HttpLoad.RunAsync(new HttpLoadOptions
        {
            Url = new Uri(server.Url(urlKey) + "/hello"),
            Connections = 4,
            Duration = TimeSpan.FromSeconds(context.Quick ? 2 : 5),
            MaxRequests = newConnectionPerRequest ? 5_000 : 50_000,
            NewConnectionPerRequest = newConnectionPerRequest,
        });
        if (load.Errors > 0)
        {
            throw new InvalidOperationException($"Probe load on {urlKey} had {load.Errors} errors: {load.FirstError}");
        }

        var p = await server.GetAsync("/control/probe");
        long L(string key) => p[key]!.GetValue<long>();
        return new ProbeResult(L("requests"), L("bytes"), L("firstRequests"), L("firstBytes"), L("laterRequests"), L("laterBytes"), L("maxLaterBytes"));
    }

    private static async Task<ScenarioResult> RunAsync(BenchContext context, ServerProcess server, Spec spec, Action<ScenarioResult> targets)
    {
        BenchContext.Log($"{spec.Name}: {spec.Title}");
        var urlA = server.Url(spec.A.UrlKey) + "/hello";
        var urlB = server.Url(spec.B.UrlKey) + "/hello";

        // Warm-up: JIT, thread pool, TLS sessions, both arms.
        await RunOnceAsync(context, server, spec, spec.A.Name, urlA, context.WarmupSeconds);
        await RunOnceAsync(context, server, spec, spec.B.Name, urlB, context.WarmupSeconds);

        var runs = new JsonArray();
        var rpsRatios = new List<double>();
        var p99Ratios = new List<double>();
        var efficiencyRatios = new List<double>();
        var runsA = new List<ToolRun>();
        var runsB = new List<ToolRun>();
        for (var pair = 0; pair < context.Pairs; pair++)
        {
            // Alternate which arm goes first so drift in the machine's load cancels.
            ToolRun a, b;
            if (pair % 2 == 0)
            {
                a = await RunOnceAsync(context, server, spec, spec.A.Name, urlA, context.RunSeconds);
                b = await RunOnceAsync(context, server, spec, spec.B.Name, urlB, context.RunSeconds);
            }
            else
            {
                b = await RunOnceAsync(context, server, spec, spec.B.Name, urlB, context.RunSeconds);
                a = await RunOnceAsync(context, server, spec, spec.A.Name, urlA, context.RunSeconds);
            }

            runsA.Add(a);
            runsB.Add(b);
            rpsRatios.Add(b.RequestsPerSecond / a.RequestsPerSecond);
            efficiencyRatios.Add(a.CpuMicrosecondsPerRequest / b.CpuMicrosecondsPerRequest);
            if (!double.IsNaN(a.P99Ms))
            {
                p99Ratios.Add(b.P99Ms / a.P99Ms);
            }

            runs.Add(new JsonObject { ["pair"] = pair, ["a"] = a.ToJson(), ["b"] = b.ToJson() });
            static string P99(ToolRun r) => double.IsNaN(r.P99Ms) ? "" : $" p99 {r.P99Ms:0.00} ms";
            BenchContext.Log($"  pair {pair + 1}/{context.Pairs}: {spec.A.Name} {a.RequestsPerSecond:N0} req/s{P99(a)} {a.CpuMicrosecondsPerRequest:0.0} µs CPU/req | " +
                $"{spec.B.Name} {b.RequestsPerSecond:N0} req/s{P99(b)} {b.CpuMicrosecondsPerRequest:0.0} µs CPU/req | ratio {b.RequestsPerSecond / a.RequestsPerSecond:0.000}");
        }

        var errors = runsA.Sum(r => r.Errors) + runsB.Sum(r => r.Errors);
        var result = new ScenarioResult
        {
            Name = spec.Name,
            Title = spec.Title,
            RanAt = DateTimeOffset.UtcNow,
            Quick = context.Quick,
            Method = MethodText(context, spec),
            Raw = new JsonObject { ["runs"] = runs },
        };
        result.Metrics.Add(Metric.Of($"req/s ratio {spec.B.Name}/{spec.A.Name}", rpsRatios, "ratio"));
        if (p99Ratios.Count > 0)
        {
            result.Metrics.Add(Metric.Of($"p99 latency ratio {spec.B.Name}/{spec.A.Name}", p99Ratios, "ratio"));
        }

        result.Metrics.Add(Metric.Of($"requests per server CPU-second ratio {spec.B.Name}/{spec.A.Name} (server CPU time per request, {spec.A.Name} ÷ {spec.B.Name})", efficiencyRatios, "ratio")
            .OnChart("ratio", $"{ChartName(spec)}: req per CPU-s"));
        result.Metrics.Add(Metric.Of($"req/s, {spec.A.Name}", [.. runsA.Select(r => r.RequestsPerSecond)], "req/s"));
        result.Metrics.Add(Metric.Of($"req/s, {spec.B.Name}", [.. runsB.Select(r => r.RequestsPerSecond)], "req/s"));
        if (p99Ratios.Count > 0)
        {
            result.Metrics.Add(Metric.Of($"p99 latency, {spec.A.Name}", [.. runsA.Select(r => r.P99Ms)], "ms"));
            result.Metrics.Add(Metric.Of($"p99 latency, {spec.B.Name}", [.. runsB.Select(r => r.P99Ms)], "ms"));
        }

        result.Metrics.Add(Metric.Of($"bytes allocated by the server process per request, {spec.A.Name}", [.. runsA.Select(r => r.AllocatedPerRequest)], "B/req"));
        result.Metrics.Add(Metric.Of($"bytes allocated by the server process per request, {spec.B.Name}", [.. runsB.Select(r => r.AllocatedPerRequest)], "B/req"));
        result.Metrics.Add(Metric.Of($"server CPU time per request, {spec.A.Name}", [.. runsA.Select(r => r.CpuMicrosecondsPerRequest)], "µs/req"));
        result.Metrics.Add(Metric.Of($"server CPU time per request, {spec.B.Name}", [.. runsB.Select(r => r.CpuMicrosecondsPerRequest)], "µs/req"));
        result.Metrics.Add(Metric.Of($"thread-pool work items per request, {spec.A.Name}", [.. runsA.Select(r => r.WorkItemsPerRequest)], "items/req"));
        result.Metrics.Add(Metric.Of($"thread-pool work items per request, {spec.B.Name}", [.. runsB.Select(r => r.WorkItemsPerRequest)], "items/req"));
        if (errors > 0)
        {
            result.Notes.Add($"{errors} request errors in the measured runs (see raw results).");
        }

        targets(result);
        return result;
    }

    private static string ChartName(Spec spec) => spec.Name switch
    {
        "hello" => "HTTP/1.1",
        "h2c" => "h2c",
        "tls" => "TLS",
        "churn" => "churn",
        "limits" => "limits",
        _ => "UseRoadrunnerDrain",
    };

    private static async Task<ToolRun> RunOnceAsync(BenchContext context, ServerProcess server, Spec spec, string arm, string url, int seconds)
    {
        _ = context;
        var before = await server.CountersAsync();
        ToolRun run;
        switch (spec.Tool)
        {
            case Tool.H2load:
                var h2 = await LoadTools.H2loadAsync(url, spec.Connections, spec.Streams, seconds);
                run = new ToolRun(arm, h2.Rps, h2.Requests, h2.Errors, double.NaN, double.NaN, 0, 0, 0);
                break;
            default:
                var wrk = await LoadTools.WrkAsync(url, spec.Connections, seconds, connectionClose: spec.Tool == Tool.WrkClose);
                run = new ToolRun(arm, wrk.Rps, wrk.Requests, wrk.Errors, wrk.P50Ms, wrk.P99Ms, 0, 0, 0);
                break;
        }

        var after = await server.CountersAsync();
        return run with
        {
            AllocatedPerRequest = run.Requests > 0 ? (after.AllocatedBytes - before.AllocatedBytes) / (double)run.Requests : 0,
            WorkItemsPerRequest = run.Requests > 0 ? (after.WorkItems - before.WorkItems) / (double)run.Requests : 0,
            CpuMicrosecondsPerRequest = run.Requests > 0 ? (after.CpuMicroseconds - before.CpuMicroseconds) / (double)run.Requests : 0,
        };
    }

    private static string MethodText(BenchContext context, Spec spec)
    {
        var tool = spec.Tool switch
        {
            Tool.H2load => $"`h2load -t1 -c{spec.Connections} -m{spec.Streams} -D {context.RunSeconds} URL/hello`",
            Tool.WrkClose => $"`wrk -t1 -c{spec.Connections} -d{context.RunSeconds}s -H \"Connection: close\" URL/hello` (wrk reconnects after every response)",
            _ => $"`wrk -t1 -c{spec.Connections} -d{context.RunSeconds}s URL/hello`",
        };
        return $"{tool}; A = {spec.A.Name} (`{spec.A.UrlKey}`), B = {spec.B.Name} (`{spec.B.UrlKey}`), same server process; " +
            $"{context.WarmupSeconds} s warm-up per arm, then {context.Pairs} pairs of {context.RunSeconds} s runs, A and B alternating which goes first.";
    }
}
