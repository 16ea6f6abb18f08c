using System.Globalization;
using System.Text.Json.Nodes;
using Roadrunner.Bench.Load;

namespace Roadrunner.Bench.LoadClient.Scenarios;

/// <summary>
/// Scenario 8: RSS growth of the server for 10,000 idle keep-alive connections, on the plain endpoint and on a
/// Roadrunner listener. RSS does not shrink back reliably, so every sample is a fresh server process: A and B
/// alternate across processes and the figure is the median of the pairwise differences.
/// </summary>
internal static class MemoryScenario
{
    private const int Connections = 10_000;

    public static async Task<ScenarioResult> RunAsync(BenchContext context)
    {
        BenchContext.Log($"memory: server RSS growth for {Connections:N0} idle keep-alive connections, plain vs roadrunner (fresh process per sample)");
        var pairs = context.Quick ? 2 : 4;
        var plain = new List<Sample>();
        var roadrunner = new List<Sample>();
        for (var pair = 0; pair < pairs; pair++)
        {
            if (pair % 2 == 0)
            {
                plain.Add(await SampleAsync(context, "plainH1"));
                roadrunner.Add(await SampleAsync(context, "rrH1"));
            }
            else
            {
                roadrunner.Add(await SampleAsync(context, "rrH1"));
                plain.Add(await SampleAsync(context, "plainH1"));
            }
        }

        var extraRss = plain.Zip(roadrunner, (a, b) => (b.RssBytes - a.RssBytes) / (double)Connections).ToList();
        var extraManaged = plain.Zip(roadrunner, (a, b) => (b.ManagedBytes - a.ManagedBytes) / (double)Connections).ToList();
        var result = new ScenarioResult
        {
            Name = "memory",
            Title = "Memory per idle connection: 10,000 idle keep-alive connections, Roadrunner vs plain",
            RanAt = DateTimeOffset.UtcNow,
            Quick = context.Quick,
            Method =
                $"{pairs} pairs of fresh server processes (server GC, as ASP.NET Core apps run by default), plain and Roadrunner alternating. In each: a full compacting GC, " +
                $"RSS and managed heap read; {Connections:N0} connections opened from 127.0.0.2–127.0.0.9, each sends `GET /hello` and stays idle (keep-alive); " +
                "1 s later a full compacting GC and the same reads again. Per connection = growth / 10,000; extra = Roadrunner − plain of the same pair.",
        };
        result.Metrics.Add(Metric.Of("extra RSS per idle connection, Roadrunner − plain", extraRss, "B/conn").WithTarget("<=", 512, "≤ 512 B"));
        result.Metrics.Add(Metric.Of("extra managed heap per idle connection, Roadrunner − plain", extraManaged, "B/conn"));
        result.Metrics.Add(Metric.Of("RSS per idle connection, plain", [.. plain.Select(s => s.RssBytes / (double)Connections)], "B/conn"));
        result.Metrics.Add(Metric.Of("RSS per idle connection, Roadrunner", [.. roadrunner.Select(s => s.RssBytes / (double)Connections)], "B/conn"));
        result.Metrics.Add(Metric.Of("managed heap per idle connection, plain", [.. plain.Select(s => s.ManagedBytes / (double)Connections)], "B/conn"));
        result.Metrics.Add(Metric.Of("managed heap per idle connection, Roadrunner", [.. roadrunner.Select(s => s.ManagedBytes / (double)Connections)], "B/conn"));
        result.Raw = new JsonObject
        {
            ["plain"] = new JsonArray([.. plain.Select(s => (JsonNode)s.ToJson())]),
            ["roadrunner"] = new JsonArray([.. roadrunner.Select(s => (JsonNode)s.ToJson())]),
        };
        return result;
    }

    private sealed record Sample(string Arm, long RssBytes, long ManagedBytes, long RssBefore, long RssAfter)
    {
        public JsonObject ToJson() => new()
        {
            ["arm"] = Arm,
            ["rssGrowthBytes"] = RssBytes,
            ["managedGrowthBytes"] = ManagedBytes,
            ["rssBefore"] = RssBefore,
            ["rssAfter"] = RssAfter,
        };
    }

    private static async Task<Sample> SampleAsync(BenchContext context, string urlKey)
    {
        await using var server = await ServerProcess.StartAsync(context.ServerDll);
        var url = new Uri(server.Url(urlKey) + "/hello");

        // Warm the path (JIT, first pool blocks) with a few connections, then close them.
        using (var warm = await IdleConnectionSet.OpenAsync(url, 64, context.SourceAddresses))
        {
        }

        await Task.Delay(500);
        var before = await server.StatsAsync(gc: true);
        using var idle = await IdleConnectionSet.OpenAsync(url, Connections, context.SourceAddresses, parallelism: 64);
        await Task.Delay(1000);
        var after = await server.StatsAsync(gc: true);
        long L(JsonObject o, string key) => o[key]!.GetValue<long>();
        var sample = new Sample(
            urlKey,
            L(after, "rssBytes") - L(before, "rssBytes"),
            L(after, "managedBytes") - L(before, "managedBytes"),
            L(before, "rssBytes"),
            L(after, "rssBytes"));
        BenchContext.Log(string.Create(CultureInfo.InvariantCulture,
            $"  {urlKey}: RSS +{sample.RssBytes / (double)Connections:N0} B/conn, managed +{sample.ManagedBytes / (double)Connections:N0} B/conn"));
        return sample;
    }
}
