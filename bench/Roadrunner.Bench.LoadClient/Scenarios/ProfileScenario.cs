using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Roadrunner.Bench.Load;

namespace Roadrunner.Bench.LoadClient.Scenarios;

/// <summary>
/// Where the adapter's time goes: dotnet-trace (the repo's local tool) samples the server's thread stacks while wrk
/// loads a Roadrunner listener, with keep-alive and with a new connection per request, and the plain endpoint under
/// churn for comparison. The Speedscope export is read here: working time (samples in managed code or syscalls, less idle waiting and spinning) is
/// attributed to Roadrunner when the leaf-most Roadrunner.AspNetCore frame on the stack has not handed over to the
/// next stage (the app's pipeline, Kestrel's connection processing, Kestrel's connection dispatcher).
/// </summary>
internal static class ProfileScenario
{
    private const string RoadrunnerPrefix = "Roadrunner.AspNetCore!";

    // Frames below a Roadrunner frame that mean "the next stage runs now": not Roadrunner's own cost. The socket
    // transport's accept (SocketConnectionListener) runs under Roadrunner's accept loop on a listener and under
    // Kestrel's on a plain endpoint: the same work, moved, so it is not counted either (it is reported apart).
    private static readonly string[] HandOver =
    [
        "Transport.Sockets.SocketConnectionListener",
        "Roadrunner.Bench.Server!",
        "Kestrel.Core.Internal.HttpConnection",
        "Kestrel.Core.Internal.ConnectionDispatcher",
        "Kestrel.Core.Internal.Infrastructure.KestrelConnection",
        "Kestrel.Https.Internal.HttpsConnectionMiddleware",
        "Kestrel.Core.Internal.Http.HttpProtocol+<ProcessRequests",
        "!Microsoft.AspNetCore.Builder.",
        "!Microsoft.AspNetCore.Routing.",
        "Microsoft.AspNetCore.Hosting!",
    ];

    private const string TransportAccept = "Transport.Sockets.SocketConnectionListener+<AcceptAsync>";

    private enum Load
    {
        Wrk,
        H2load,
        ProxyV2Churn, // The in-repo load client: a PROXY v2 header, then one request, on every connection.
        InRepoChurn, // The same client and churn without the header.
    }

    private sealed record Case(string Name, string UrlKey, bool Close, Load Load = Load.Wrk);

    public static Task<ScenarioResult> RunAsync(BenchContext context) => RunCasesAsync(
        context,
        "profile",
        "Profile: where the adapter's time goes",
        [
            new("keep-alive, Roadrunner listener", "rrH1", false),
            new("churn, Roadrunner listener", "rrH1", true),
            new("churn, plain endpoint", "plainH1", true),
        ]);

    /// <summary>Where the per-listener limits' cost goes: keep-alive on rr-limits (every limit set) beside rr-h1 (none).</summary>
    public static Task<ScenarioResult> RunLimitsAsync(BenchContext context) => RunCasesAsync(
        context,
        "profile-limits",
        "Profile: where the per-listener limits' time goes",
        [
            new("keep-alive, no limits", "rrH1", false),
            new("keep-alive, every limit", "rrLimits", false),
        ]);

    /// <summary>Where an h2c request's time goes: h2load on a Roadrunner listener and on the plain endpoint.</summary>
    public static Task<ScenarioResult> RunH2cAsync(BenchContext context) => RunCasesAsync(
        context,
        "profile-h2c",
        "Profile: where an h2c request's time goes",
        [
            new("h2c, Roadrunner listener", "rrH2c", false, Load.H2load),
            new("h2c, plain endpoint", "plainH2c", false, Load.H2load),
        ]);

    /// <summary>Where a PROXY v2 connection's time goes under churn, beside the same churn without the header.</summary>
    public static Task<ScenarioResult> RunProxyAsync(BenchContext context) => RunCasesAsync(
        context,
        "profile-proxy",
        "Profile: where a PROXY protocol connection's time goes",
        [
            new("churn with a PROXY v2 header, in-repo client", "rrProxyV2", true, Load.ProxyV2Churn),
            new("churn without, in-repo client", "rrH1", true, Load.InRepoChurn),
        ]);

    private static async Task<double> InRepoChurnAsync(Uri url, bool proxyHeader, int seconds)
    {
        var header = proxyHeader ? HttpWire.ProxyV2Header(new IPEndPoint(IPAddress.Parse("203.0.113.7"), 51234), HttpWire.EndPointOf(url)) : default;
        var load = await HttpLoad.RunAsync(new HttpLoadOptions
        {
            Url = url,
            Connections = 50,
            Duration = TimeSpan.FromSeconds(seconds),
            NewConnectionPerRequest = true,
            ConnectionPreamble = header,
        });
        return load.RequestsPerSecond;
    }

    private static async Task<ScenarioResult> RunCasesAsync(BenchContext context, string name, string title, Case[] cases)
    {
        var seconds = context.Quick ? 6 : 15;
        BenchContext.Log($"{name}: dotnet-trace ({seconds} s of sampled thread stacks per case) under wrk load");
        var traces = Path.Combine(context.RepoRoot, "artifacts", "bench", "traces");
        Directory.CreateDirectory(traces);
        var result = new ScenarioResult
        {
            Name = name,
            Title = title,
            RanAt = DateTimeOffset.UtcNow,
            Quick = context.Quick,
            Method =
                $"`dotnet dotnet-trace collect -p PID --profile dotnet-sampled-thread-time --duration {seconds} s --format Speedscope` on the server while " +
                "`wrk -t1 -c50` loads /hello (2 s after wrk starts). Working time = the stack samples the sampler marks `CPU_TIME` (managed code and " +
                "the syscalls it makes), less the socket engine's epoll wait and the thread pool's idle spinning and waiting. " +
                "Time is Roadrunner's own when the leaf-most `Roadrunner.AspNetCore` frame has not handed over to the next stage (the app pipeline, " +
                "Kestrel's connection processing or dispatcher, or the socket transport's accept, which Kestrel's own accept loop does on a plain endpoint). " +
                "The sampler takes about 100 stacks per second per thread, so shares under 0.5 % are rough. Traces are kept in artifacts/bench/traces/.",
        };
        var raw = new JsonObject();
        await using (var server = await ServerProcess.StartAsync(context.ServerDll))
        {
            foreach (var c in cases)
            {
                var file = Path.Combine(traces, $"{c.UrlKey}-{(c.Close ? "churn" : "keepalive")}.nettrace");
                var url = server.Url(c.UrlKey) + "/hello";
                var wrk = c.Load switch
                {
                    Load.H2load => LoadTools.H2loadAsync(url, 50, 10, seconds + 4).ContinueWith(t => t.Result.Rps, TaskScheduler.Default),
                    Load.ProxyV2Churn or Load.InRepoChurn => InRepoChurnAsync(new Uri(url), c.Load == Load.ProxyV2Churn, seconds + 4),
                    _ => LoadTools.WrkAsync(url, 50, seconds + 4, c.Close).ContinueWith(t => t.Result.Rps, TaskScheduler.Default),
                };
                await Task.Delay(2000);
                await LoadTools.RunAsync(
                    "dotnet",
                    ["dotnet-trace", "collect", "-p", server.Pid.ToString(CultureInfo.InvariantCulture), "--profile", "dotnet-sampled-thread-time",
                        "--duration", $"00:00:00:{seconds:00}", "-o", file, "--format", "Speedscope"],
                    TimeSpan.FromSeconds(seconds + 120),
                    workingDirectory: context.RepoRoot);
                var rps = await wrk;
                var analysis = Analyze(Path.ChangeExtension(file, ".speedscope.json"));
                BenchContext.Log(string.Create(CultureInfo.InvariantCulture,
                    $"  {c.Name}: {rps:N0} req/s; Roadrunner's own frames {analysis.OwnShare:0.00}% of working time"));
                result.Metrics.Add(new Metric
                {
                    Label = $"{c.Name}: Roadrunner's own code, share of the server's working time",
                    Value = analysis.OwnShare,
                    Unit = "%",
                    Runs = 1,
                });
                if (c.Close)
                {
                    result.Metrics.Add(new Metric
                    {
                        Label = $"{c.Name}: socket accept (SocketConnectionListener.AcceptAsync, inclusive; under Roadrunner's accept loop or Kestrel's), share of working time",
                        Value = analysis.TransportAcceptShare,
                        Unit = "%",
                        Runs = 1,
                    });
                }

                if (c.UrlKey.StartsWith("rr", StringComparison.Ordinal))
                {
                    result.Tables.Add(Table($"{c.Name}: Roadrunner frames (leaf-most) and what they were running", analysis));
                }

                result.Tables.Add(TopTable($"{c.Name}: top leaf frames of the working time (whole server)", analysis));
                raw[c.Name] = analysis.ToJson();
            }
        }

        result.Raw = raw;
        return result;
    }

    private static ResultTable Table(string title, Analysis analysis)
    {
        var table = new ResultTable { Title = title, Headers = ["Roadrunner frame", "→ callee (or self)", "% of working time"] };
        foreach (var (key, ms) in analysis.Own.OrderByDescending(p => p.Value).Take(12))
        {
            var parts = key.Split(" → ", 2);
            table.Rows.Add([Short(parts[0]), Short(parts[1]), (100 * ms / analysis.OnCpuMs).ToString("0.00", CultureInfo.InvariantCulture)]);
        }

        if (table.Rows.Count == 0)
        {
            table.Rows.Add(["(no sample)", "", "0"]);
        }

        return table;
    }

    private static ResultTable TopTable(string title, Analysis analysis)
    {
        var table = new ResultTable { Title = title, Headers = ["leaf frame", "% of working time"] };
        foreach (var (frame, ms) in analysis.Leaves.OrderByDescending(p => p.Value).Take(8))
        {
            table.Rows.Add([Short(frame), (100 * ms / analysis.OnCpuMs).ToString("0.00", CultureInfo.InvariantCulture)]);
        }

        return table;
    }

    /// <summary>"Assembly!Namespace.Type+Nested.Method(args)" → "Type+Nested.Method".</summary>
    private static string Short(string frame)
    {
        if (frame.Length == 0)
        {
            return "(self)";
        }

        var bang = frame.IndexOf('!', StringComparison.Ordinal);
        var name = bang >= 0 ? frame[(bang + 1)..] : frame;
        var paren = name.IndexOf('(', StringComparison.Ordinal);
        if (paren > 0)
        {
            name = name[..paren];
        }

        // Drop the namespace: the last dot before the type's first '+' or generic bracket.
        var cut = name.IndexOfAny(['+', '[', '`']);
        var typeEnd = cut >= 0 ? cut : name.LastIndexOf('.');
        var ns = typeEnd > 0 ? name.LastIndexOf('.', typeEnd - 1) : -1;
        return (ns >= 0 ? name[(ns + 1)..] : name).Replace("|", "\\|", StringComparison.Ordinal);
    }

    private sealed class Analysis
    {
        public double OnCpuMs { get; set; }

        public double OwnMs { get; set; }

        public double OwnShare => OnCpuMs > 0 ? 100 * OwnMs / OnCpuMs : 0;

        public double TransportAcceptMs { get; set; }

        public double IdleMs { get; set; }

        public double TransportAcceptShare => OnCpuMs > 0 ? 100 * TransportAcceptMs / OnCpuMs : 0;

        public Dictionary<string, double> Own { get; } = [];

        public Dictionary<string, double> Leaves { get; } = [];

        public JsonObject ToJson() => new()
        {
            ["onCpuMs"] = Math.Round(OnCpuMs, 1),
            ["idleMs"] = Math.Round(IdleMs, 1),
            ["roadrunnerOwnMs"] = Math.Round(OwnMs, 1),
            ["roadrunnerOwnPercent"] = Math.Round(OwnShare, 3),
            ["transportAcceptPercent"] = Math.Round(TransportAcceptShare, 3),
            ["roadrunnerFrames"] = new JsonObject(Own.OrderByDescending(p => p.Value).Take(20)
                .Select(p => KeyValuePair.Create(p.Key, (JsonNode?)Math.Round(p.Value, 2)))),
        };
    }

    /// <summary>Time-weighted walk of Speedscope "evented" profiles (one per thread).</summary>
    private static Analysis Analyze(string speedscopeFile)
    {
        using var stream = File.OpenRead(speedscopeFile);
        using var doc = JsonDocument.Parse(stream);
        var frames = doc.RootElement.GetProperty("shared").GetProperty("frames").EnumerateArray().Select(f => f.GetProperty("name").GetString() ?? "").ToArray();
        var analysis = new Analysis();
        foreach (var profile in doc.RootElement.GetProperty("profiles").EnumerateArray())
        {
            if (profile.GetProperty("type").GetString() != "evented")
            {
                continue;
            }

            var stack = new List<int>();
            double? last = null;
            foreach (var e in profile.GetProperty("events").EnumerateArray())
            {
                var at = e.GetProperty("at").GetDouble();
                if (last is { } from && stack.Count > 0 && frames[stack[^1]] == "CPU_TIME")
                {
                    Attribute(analysis, frames, stack, at - from);
                }

                last = at;
                var frame = e.GetProperty("frame").GetInt32();
                if (e.GetProperty("type").GetString() == "O")
                {
                    stack.Add(frame);
                }
                else if (stack.Count > 0)
                {
                    stack.RemoveAt(stack.Count - 1);
                }
            }
        }

        return analysis;
    }

    private static bool IsIdle(string[] frames, List<int> stack)
    {
        // The sampler cannot tell a blocked native call from work: drop the socket engine's epoll wait and the
        // thread pool's idle spinning and waiting, so the shares are of the time spent working.
        var leaf = stack.Count >= 2 ? frames[stack[^2]] : "";
        if (leaf == "?!?" && stack.Count >= 3 && frames[stack[^3]].Contains("SocketAsyncEngine.EventLoop", StringComparison.Ordinal))
        {
            return true;
        }

        return leaf.Contains("WorkerThread.WorkerThreadStart", StringComparison.Ordinal)
            || stack.Any(f => frames[f].Contains("LowLevelLifoSemaphore", StringComparison.Ordinal)
                || frames[f].Contains("ManualResetEventSlim.Wait", StringComparison.Ordinal)
                || frames[f].Contains("System.Threading.Monitor.Wait(", StringComparison.Ordinal)
                || frames[f].Contains("WaitHandle.Wait", StringComparison.Ordinal));
    }

    private static void Attribute(Analysis analysis, string[] frames, List<int> stack, double ms)
    {
        if (IsIdle(frames, stack))
        {
            analysis.IdleMs += ms;
            return;
        }

        analysis.OnCpuMs += ms;
        if (stack.Any(f => frames[f].Contains(TransportAccept, StringComparison.Ordinal)))
        {
            analysis.TransportAcceptMs += ms;
        }

        var leaf = stack.Count >= 2 ? frames[stack[^2]] : "?";
        analysis.Leaves[leaf] = analysis.Leaves.GetValueOrDefault(leaf) + ms;

        var deepest = -1;
        for (var i = stack.Count - 2; i >= 0; i--)
        {
            if (frames[stack[i]].StartsWith(RoadrunnerPrefix, StringComparison.Ordinal))
            {
                deepest = i;
                break;
            }
        }

        if (deepest < 0)
        {
            return;
        }

        for (var i = deepest + 1; i < stack.Count - 1; i++)
        {
            var name = frames[stack[i]];
            if (HandOver.Any(h => name.Contains(h, StringComparison.Ordinal)))
            {
                return;
            }
        }

        analysis.OwnMs += ms;
        var callee = deepest + 1 < stack.Count - 1 ? frames[stack[deepest + 1]] : "";
        var key = $"{frames[stack[deepest]]} → {callee}";
        analysis.Own[key] = analysis.Own.GetValueOrDefault(key) + ms;
    }
}
