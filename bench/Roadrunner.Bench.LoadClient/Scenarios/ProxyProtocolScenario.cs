using System.Net;
using System.Text.Json.Nodes;
using Roadrunner.Bench.Load;

namespace Roadrunner.Bench.LoadClient.Scenarios;

/// <summary>
/// Scenario 10: the cost of the PROXY protocol. Two listeners of the same server, one plain and one with
/// <c>ProxyProtocol = V2</c>; the in-repo load client drives both (wrk cannot send a header), sending a 28-byte v2 header
/// first on every connection of the PROXY arm. Keep-alive hello (the header once per connection) and connection churn
/// (a header and a new connection per request), A and B alternating, ratios B/A.
/// </summary>
internal static class ProxyProtocolScenario
{
    private const int Connections = 50;

    public static async Task<ScenarioResult> RunAsync(BenchContext context, ServerProcess server)
    {
        BenchContext.Log("proxy: PROXY protocol v2 on vs off (in-repo load client)");
        var off = new Uri(server.Url("rrH1") + "/hello");
        var on = new Uri(server.Url("rrProxyV2") + "/hello");
        var header = HttpWire.ProxyV2Header(new IPEndPoint(IPAddress.Parse("203.0.113.7"), 51234), HttpWire.EndPointOf(on));
        var result = new ScenarioResult
        {
            Name = "proxy",
            Title = "PROXY protocol v2 on ÷ off: keep-alive hello and connection churn, 50 connections",
            RanAt = DateTimeOffset.UtcNow,
            Quick = context.Quick,
            Method = $"In-repo load client (bench/Roadrunner.Bench.Load HttpLoad), {Connections} connections, {context.RunSeconds} s per run, " +
                $"{context.Pairs} alternating pairs after a {context.WarmupSeconds} s warm-up of each arm; the PROXY arm sends a 28-byte v2 header " +
                "(TCP/IPv4) right after each connect. Keep-alive: one header per connection; churn: Connection: close, a new connection and header per request.",
        };

        var raw = new JsonObject();
        foreach (var churn in new[] { false, true })
        {
            var label = churn ? "churn" : "keep-alive hello";
            await LoadAsync(off, default, churn, context.WarmupSeconds);
            await LoadAsync(on, header, churn, context.WarmupSeconds);
            var ratios = new List<double>();
            var rpsOff = new List<double>();
            var rpsOn = new List<double>();
            long errors = 0;
            for (var pair = 0; pair < context.Pairs; pair++)
            {
                HttpLoadResult a, b;
                if (pair % 2 == 0)
                {
                    a = await LoadAsync(off, default, churn, context.RunSeconds);
                    b = await LoadAsync(on, header, churn, context.RunSeconds);
                }
                else
                {
                    b = await LoadAsync(on, header, churn, context.RunSeconds);
                    a = await LoadAsync(off, default, churn, context.RunSeconds);
                }

                var ra = a.Requests / a.Elapsed.TotalSeconds;
                var rb = b.Requests / b.Elapsed.TotalSeconds;
                rpsOff.Add(ra);
                rpsOn.Add(rb);
                ratios.Add(rb / ra);
                errors += a.Errors + b.Errors;
                BenchContext.Log($"  {label} pair {pair + 1}/{context.Pairs}: off {ra:N0} req/s | on {rb:N0} req/s | ratio {rb / ra:0.000}");
            }

            var ratio = Metric.Of($"req/s ratio PROXY v2 on/off, {label}", ratios, "ratio");
            result.Metrics.Add(churn
                ? ratio.WithTarget(">=", 0.95).OnChart("ratio", "PROXY v2 churn req/s")
                : ratio.WithTarget(">=", 0.98).OnChart("ratio", "PROXY v2 hello req/s"));
            result.Metrics.Add(Metric.Of($"req/s, off, {label}", rpsOff, "req/s"));
            result.Metrics.Add(Metric.Of($"req/s, PROXY v2, {label}", rpsOn, "req/s"));
            raw[churn ? "churn" : "hello"] = new JsonObject
            {
                ["ratios"] = new JsonArray([.. ratios.Select(r => (JsonNode)r)]),
                ["errors"] = errors,
            };
            if (errors > 0)
            {
                result.Notes.Add($"{label}: {errors} request errors in the measured runs.");
            }
        }

        result.Raw = raw;
        return result;
    }

    private static async Task<HttpLoadResult> LoadAsync(Uri url, ReadOnlyMemory<byte> preamble, bool churn, int seconds)
    {
        var load = await HttpLoad.RunAsync(new HttpLoadOptions
        {
            Url = url,
            Connections = Connections,
            Duration = TimeSpan.FromSeconds(seconds),
            NewConnectionPerRequest = churn,
            ConnectionPreamble = preamble,
        });
        if (load.Requests == 0)
        {
            throw new InvalidOperationException($"No request succeeded on {url}: {load.FirstError}");
        }

        return load;
    }
}
