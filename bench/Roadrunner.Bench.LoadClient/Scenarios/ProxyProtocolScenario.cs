using System.Net;
using System.Text.Json.Nodes;
using Roadrunner.Bench.Load;

namespace Roadrunner.Bench.LoadClient.Scenarios;

/// <summary>
/// Scenario 11: the cost of the PROXY protocol. Listeners of the same server without and with <c>ProxyProtocol = V2</c>,
/// plaintext (rr-h1 / rr-proxy-v2) and TLS (rr-tls / rr-tls-proxy-v2); the in-repo load client drives them (wrk
/// cannot send a header), sending a 28-byte v2 header first on every connection of the PROXY arm, before TLS.
/// Keep-alive hello (the header once per connection) and connection churn (a header, and for TLS a full handshake, per
/// request), A and B alternating, ratios B/A.
/// </summary>
internal static class ProxyProtocolScenario
{
    private const int Connections = 50;

    public static async Task<ScenarioResult> RunAsync(BenchContext context, ServerProcess server)
    {
        BenchContext.Log("proxy: PROXY protocol v2 on vs off, plaintext and TLS (in-repo load client)");
        var result = new ScenarioResult
        {
            Name = "proxy",
            Title = "PROXY protocol v2 on ÷ off: keep-alive hello and connection churn, plaintext and TLS, 50 connections",
            RanAt = DateTimeOffset.UtcNow,
            Quick = context.Quick,
            Method = $"In-repo load client (bench/Roadrunner.Bench.Load HttpLoad), {Connections} connections, {context.RunSeconds} s per run, " +
                $"{context.Pairs} alternating pairs after a {context.WarmupSeconds} s warm-up of each arm; the PROXY arm sends a 28-byte v2 header " +
                "(TCP/IPv4) right after each connect, before TLS. Keep-alive: one header per connection; churn: Connection: close, a new connection " +
                "and header (and for TLS a new handshake with SslStream's defaults, ECDSA P-256 certificate) per request.",
        };

        var raw = new JsonObject();
        foreach (var tls in new[] { false, true })
        {
            var off = new Uri(server.Url(tls ? "rrTls" : "rrH1") + "/hello");
            var on = new Uri(server.Url(tls ? "rrTlsProxyV2" : "rrProxyV2") + "/hello");
            var header = HttpWire.ProxyV2Header(new IPEndPoint(IPAddress.Parse("203.0.113.7"), 51234), HttpWire.EndPointOf(on));
            foreach (var churn in new[] { false, true })
            {
                var label = (tls ? "TLS, " : "plaintext, ") + (churn ? "churn" : "keep-alive hello");
                var arm = await RunArmAsync(context, off, on, header, churn, label, server.Url("certificateThumbprint"));
                var ratio = Metric.Of($"req/s ratio PROXY v2 on/off, {label}", arm.Ratios, "ratio");
                var chartLabel = $"PROXY v2 {(tls ? "TLS" : "plain")} {(churn ? "churn" : "hello")} req/s";
                result.Metrics.Add(ratio.WithTarget(">=", churn ? 0.95 : 0.98).OnChart("ratio", chartLabel));
                result.Metrics.Add(Metric.Of($"req/s, off, {label}", arm.RpsOff, "req/s"));
                result.Metrics.Add(Metric.Of($"req/s, PROXY v2, {label}", arm.RpsOn, "req/s"));
                raw[(tls ? "tls-" : "plain-") + (churn ? "churn" : "hello")] = new JsonObject
                {
                    ["ratios"] = new JsonArray([.. arm.Ratios.Select(r => (JsonNode)r)]),
                    ["errors"] = arm.Errors,
                };
                if (arm.Errors > 0)
                {
                    result.Notes.Add($"{label}: {arm.Errors} request errors in the measured runs.");
                }
            }
        }

        result.Raw = raw;
        return result;
    }

    private static async Task<ArmResult> RunArmAsync(BenchContext context, Uri off, Uri on, byte[] header, bool churn, string label, string thumbprint)
    {
        await LoadAsync(off, default, churn, context.WarmupSeconds, thumbprint);
        await LoadAsync(on, header, churn, context.WarmupSeconds, thumbprint);
        var arm = new ArmResult();
        for (var pair = 0; pair < context.Pairs; pair++)
        {
            HttpLoadResult a, b;
            if (pair % 2 == 0)
            {
                a = await LoadAsync(off, default, churn, context.RunSeconds, thumbprint);
                b = await LoadAsync(on, header, churn, context.RunSeconds, thumbprint);
            }
            else
            {
                b = await LoadAsync(on, header, churn, context.RunSeconds, thumbprint);
                a = await LoadAsync(off, default, churn, context.RunSeconds, thumbprint);
            }

            var ra = a.Requests / a.Elapsed.TotalSeconds;
            var rb = b.Requests / b.Elapsed.TotalSeconds;
            arm.RpsOff.Add(ra);
            arm.RpsOn.Add(rb);
            arm.Ratios.Add(rb / ra);
            arm.Errors += a.Errors + b.Errors;
            BenchContext.Log($"  {label} pair {pair + 1}/{context.Pairs}: off {ra:N0} req/s | on {rb:N0} req/s | ratio {rb / ra:0.000}");
        }

        return arm;
    }

    private static async Task<HttpLoadResult> LoadAsync(Uri url, ReadOnlyMemory<byte> preamble, bool churn, int seconds, string thumbprint)
    {
        var load = await HttpLoad.RunAsync(new HttpLoadOptions
        {
            Url = url,
            Connections = Connections,
            Duration = TimeSpan.FromSeconds(seconds),
            NewConnectionPerRequest = churn,
            ConnectionPreamble = preamble,
            ServerCertificateThumbprint = thumbprint,
        });
        if (load.Requests == 0)
        {
            throw new InvalidOperationException($"No request succeeded on {url}: {load.FirstError}");
        }

        return load;
    }

    private sealed class ArmResult
    {
        public List<double> Ratios { get; } = [];

        public List<double> RpsOff { get; } = [];

        public List<double> RpsOn { get; } = [];

        public long Errors { get; set; }
    }
}
