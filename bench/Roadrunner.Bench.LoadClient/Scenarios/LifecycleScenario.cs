using System.Diagnostics;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Roadrunner.AspNetCore;
using Roadrunner.Bench.Load;

namespace Roadrunner.Bench.LoadClient.Scenarios;

/// <summary>
/// Scenario 6, in this process: the app is hosted here through the library, so StartAsync and the first response
/// are timed on one clock with no control round trip in between.
/// </summary>
internal static class LifecycleScenario
{
    private static readonly byte[] HelloBody = "Hello, World!"u8.ToArray();

    public static async Task<ScenarioResult> RunAsync(BenchContext context)
    {
        BenchContext.Log("lifecycle: StartAsync → first response, StopAsync, 1,000 listeners (in-process)");
        await using var app = await StartAppAsync();
        var manager = app.Services.GetRequiredService<IListenerManager>();

        // Warm-up: JIT of the start, accept, serve and stop paths.
        for (var i = 0; i < 30; i++)
        {
            await OneCycleAsync(manager, $"warm{i}");
        }

        var toFirst = new List<double>();
        var startOnly = new List<double>();
        var stop = new List<double>();
        for (var i = 0; i < context.LifecycleRuns; i++)
        {
            var (s, f, t) = await OneCycleAsync(manager, $"life{i}");
            startOnly.Add(s);
            toFirst.Add(f);
            stop.Add(t);
        }

        var result = new ScenarioResult
        {
            Name = "lifecycle",
            Title = "Listener lifecycle: StartAsync → first response, StopAsync, 1,000 listeners",
            RanAt = DateTimeOffset.UtcNow,
            Quick = context.Quick,
            Method =
                $"In-process: the load client hosts a Kestrel app with `UseRoadrunner()` and the same /hello. Each of {context.LifecycleRuns} runs (after 30 warm-up runs): " +
                "`StartAsync(name, new ListenerOptions())` on 127.0.0.1:0, then a new TCP connection sends `GET /hello` (Connection: close) and reads the whole response; " +
                "then the connection closes and `StopAsync(name)` is timed. Then 1,000 listeners are started and kept, each is sent one request on a new connection, " +
                "and the process's RSS and managed heap (after a full compacting GC) are compared with before they started.",
        };
        result.Metrics.Add(Metric.Of("StartAsync → first successful response, median", [Stats.Median(toFirst)], "ms").WithTarget("<", 5, "< 5 ms"));
        result.Metrics.Add(Metric.Of("StartAsync → first successful response, p99", [Stats.Percentile(toFirst, 99)], "ms"));
        result.Metrics.Add(Metric.Of("StartAsync alone, median", [Stats.Median(startOnly)], "ms"));
        result.Metrics.Add(Metric.Of("StartAsync alone, p99", [Stats.Percentile(startOnly, 99)], "ms"));
        result.Metrics.Add(Metric.Of("StopAsync, median", [Stats.Median(stop)], "ms"));
        result.Metrics.Add(Metric.Of("StopAsync, p99", [Stats.Percentile(stop, 99)], "ms"));

        var many = new List<ManyResult>();
        for (var r = 0; r < (context.Quick ? 1 : 3); r++)
        {
            many.Add(await ThousandListenersAsync(manager, r));
        }

        result.Metrics.Add(new Metric
        {
            Label = "1,000 listeners alive at once, answering",
            Value = many.Min(m => m.Answering),
            Unit = "listeners",
            Runs = many.Count,
            Comparison = ">=",
            Target = 1000,
            TargetText = "all 1,000 answer",
        });
        result.Metrics.Add(Metric.Of("starting 1,000 listeners one after another, total", [.. many.Select(m => m.StartAllMs)], "ms"));
        result.Metrics.Add(Metric.Of("RSS per idle listener (started, never connected)", [.. many.Select(m => m.RssPerListenerStarted / 1024.0)], "KiB"));
        result.Metrics.Add(Metric.Of("RSS per idle listener (after serving one request)", [.. many.Select(m => m.RssPerListenerServed / 1024.0)], "KiB"));
        result.Metrics.Add(Metric.Of("managed heap per idle listener (after serving one request)", [.. many.Select(m => m.ManagedPerListenerServed / 1024.0)], "KiB"));
        result.Metrics.Add(Metric.Of("stopping 1,000 listeners, total", [.. many.Select(m => m.StopAllMs)], "ms"));
        result.Raw = new JsonObject
        {
            ["toFirstMs"] = Summary(toFirst),
            ["startMs"] = Summary(startOnly),
            ["stopMs"] = Summary(stop),
            ["thousand"] = new JsonArray([.. many.Select(m => (JsonNode)m.ToJson())]),
        };
        return result;
    }

    private static JsonObject Summary(List<double> values) => new()
    {
        ["n"] = values.Count,
        ["min"] = Math.Round(values.Min(), 3),
        ["p50"] = Math.Round(Stats.Median(values), 3),
        ["p90"] = Math.Round(Stats.Percentile(values, 90), 3),
        ["p99"] = Math.Round(Stats.Percentile(values, 99), 3),
        ["max"] = Math.Round(values.Max(), 3),
    };

    private static async Task<(double StartMs, double FirstResponseMs, double StopMs)> OneCycleAsync(IListenerManager manager, string name)
    {
        var t0 = Stopwatch.GetTimestamp();
        var info = await manager.StartAsync(name, new ListenerOptions());
        var t1 = Stopwatch.GetTimestamp();
        await RequestAsync(info.Url);
        var t2 = Stopwatch.GetTimestamp();
        if (!await manager.StopAsync(name))
        {
            throw new InvalidOperationException($"Listener {name} vanished.");
        }

        var t3 = Stopwatch.GetTimestamp();
        return (Ms(t0, t1), Ms(t0, t2), Ms(t2, t3));
    }

    private static double Ms(long from, long to) => Stopwatch.GetElapsedTime(from, to).TotalMilliseconds;

    private static async Task RequestAsync(Uri url)
    {
        using var socket = await HttpWire.ConnectAsync(HttpWire.EndPointOf(url), source: null, CancellationToken.None);
        await socket.SendAsync(HttpWire.GetRequest(new Uri(url, "/hello"), close: true), SocketFlags.None);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var head = await HttpWire.ReadResponseAsync(socket, new byte[1024], timeout.Token);
        if (!head.IsSuccess)
        {
            throw new InvalidOperationException($"{url}: HTTP {head.Status}.");
        }
    }

    private sealed record ManyResult(int Answering, double StartAllMs, double StopAllMs, double RssPerListenerStarted, double RssPerListenerServed, double ManagedPerListenerServed)
    {
        public JsonObject ToJson() => new()
        {
            ["answering"] = Answering,
            ["startAllMs"] = Math.Round(StartAllMs, 1),
            ["stopAllMs"] = Math.Round(StopAllMs, 1),
            ["rssPerListenerStartedBytes"] = Math.Round(RssPerListenerStarted),
            ["rssPerListenerServedBytes"] = Math.Round(RssPerListenerServed),
            ["managedPerListenerServedBytes"] = Math.Round(ManagedPerListenerServed),
        };
    }

    private static async Task<ManyResult> ThousandListenersAsync(IListenerManager manager, int round)
    {
        const int count = 1000;
        var (rss0, managed0) = Memory.Measure();
        var t0 = Stopwatch.GetTimestamp();
        var urls = new Uri[count];
        for (var i = 0; i < count; i++)
        {
            urls[i] = (await manager.StartAsync($"many{round}-{i}", new ListenerOptions())).Url;
        }

        var startAll = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        var (rss1, _) = Memory.Measure();

        var answering = 0;
        await Parallel.ForEachAsync(urls, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (url, _) =>
        {
            await RequestAsync(url);
            Interlocked.Increment(ref answering);
        });

        // Wait for the server side of those connections to close, so only the listeners are left.
        var wait = Stopwatch.StartNew();
        while (manager.GetListeners().Any(l => l.ActiveConnections > 0) && wait.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(50);
        }

        var (rss2, managed2) = Memory.Measure();
        var t1 = Stopwatch.GetTimestamp();
        for (var i = 0; i < count; i++)
        {
            await manager.StopAsync($"many{round}-{i}");
        }

        var stopAll = Stopwatch.GetElapsedTime(t1).TotalMilliseconds;
        BenchContext.Log($"  1,000 listeners: {answering} answering, start all {startAll:N0} ms, RSS/listener {(rss1 - rss0) / count:N0} B started, {(rss2 - rss0) / count:N0} B served, stop all {stopAll:N0} ms");
        return new ManyResult(answering, startAll, stopAll, (rss1 - rss0) / (double)count, (rss2 - rss0) / (double)count, (managed2 - managed0) / (double)count);
    }

    private static async Task<WebApplication> StartAppAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseRoadrunner(o => o.BindServerUrls = false);
        var app = builder.Build();
        app.Use((HttpContext http, RequestDelegate next) =>
        {
            if (!string.Equals(http.Request.Path.Value, "/hello", StringComparison.Ordinal))
            {
                return next(http);
            }

            http.Response.ContentType = "text/plain";
            http.Response.ContentLength = HelloBody.Length;
            return http.Response.Body.WriteAsync(HelloBody, 0, HelloBody.Length);
        });
        await app.StartAsync();
        return app;
    }
}

/// <summary>This process's memory after a full compacting GC.</summary>
internal static class Memory
{
    public static (long RssBytes, long ManagedBytes) Measure()
    {
        for (var i = 0; i < 2; i++)
        {
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }

        return (RssBytes(), GC.GetTotalMemory(forceFullCollection: false));
    }

    public static long RssBytes()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                var value = line["VmRSS:".Length..].Trim();
                return long.Parse(value[..value.IndexOf(' ', StringComparison.Ordinal)], System.Globalization.CultureInfo.InvariantCulture) * 1024;
            }
        }

        return 0;
    }
}
