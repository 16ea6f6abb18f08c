// The benchmark runner. bench/run.sh builds it and calls:
//   run [--quick] --repo DIR --server DLL [--results FILE] [scenario...]   run scenarios, merge into the results file
//   report [--results F] [--template F] [--markdown F] [--svg F]           regenerate docs/benchmarks.md and the chart
//   list                                                                   the scenarios, one per line
//   load --url URL [--connections N] [--seconds S] [--close]               ad-hoc HTTP/1.1 load with the in-repo client
using System.Globalization;
using Roadrunner.Bench.Load;
using Roadrunner.Bench.LoadClient;
using Roadrunner.Bench.LoadClient.Report;
using Roadrunner.Bench.LoadClient.Scenarios;

var command = args.Length > 0 ? args[0] : "help";
var options = Options.Parse(args.Skip(1));
switch (command)
{
    case "list":
        foreach (var scenario in Catalog.All)
        {
            Console.Out.WriteLine($"  {scenario.Name,-11} {scenario.Description}");
        }

        return 0;

    case "run":
        return await RunAsync(options);

    case "report":
        var results = ResultsFile.Load(options.Get("results", "bench/results/results.json"));
        MarkdownReport.Write(results, options.Get("template", "bench/benchmarks.template.md"), options.Get("markdown", "docs/benchmarks.md"), options.Get("svg", "docs/benchmarks.svg"));
        Console.Out.WriteLine($"wrote {options.Get("markdown", "docs/benchmarks.md")} and {options.Get("svg", "docs/benchmarks.svg")}");
        return 0;

    case "load":
        var load = await HttpLoad.RunAsync(new HttpLoadOptions
        {
            Url = new Uri(options.Get("url", "http://127.0.0.1:5000/hello")),
            Connections = int.Parse(options.Get("connections", "50"), CultureInfo.InvariantCulture),
            Duration = TimeSpan.FromSeconds(double.Parse(options.Get("seconds", "5"), CultureInfo.InvariantCulture)),
            NewConnectionPerRequest = options.Has("close"),
        });
        Console.Out.WriteLine($"{load.Requests:N0} requests, {load.Errors:N0} errors, {load.ConnectionsOpened:N0} connections, {load.RequestsPerSecond:N0} req/s, " +
            $"p50 {load.Latency.P50Ms:0.000} ms, p99 {load.Latency.P99Ms:0.000} ms{(load.FirstError is null ? "" : $", first error: {load.FirstError}")}");
        return load.Errors == 0 ? 0 : 1;

    default:
        Console.Out.WriteLine("usage: Roadrunner.Bench.LoadClient run|report|list|load [options] (see bench/run.sh --help)");
        return command is "help" or "--help" or "-h" ? 0 : 2;
}

static async Task<int> RunAsync(Options options)
{
    var repo = Path.GetFullPath(options.Get("repo", "."));
    var resultsPath = Path.Combine(repo, options.Get("results", "bench/results/results.json"));
    var context = new BenchContext
    {
        RepoRoot = repo,
        ServerDll = options.Get("server", Path.Combine(repo, "bench/Roadrunner.Bench.Server/bin/Release/net10.0/Roadrunner.Bench.Server.dll")),
        Quick = options.Has("quick"),
    };
    LoadTools.WrkScript = Path.Combine(repo, "bench/tools/wrk-json.lua");

    var selected = options.Positional.Count == 0 ? Catalog.All : [.. options.Positional.Select(Catalog.Find)];
    var results = ResultsFile.Load(resultsPath);
    results.Machine = await Machine.DescribeAsync();
    BenchContext.Log($"{results.Machine.Cores} cores ({results.Machine.CpuModel}), {results.Machine.Memory}, {results.Machine.DotnetInfo}; load generator and server share these cores");
    var commit = await CommitAsync(repo);
    var failed = 0;
    foreach (var scenario in selected)
    {
        try
        {
            var result = await scenario.RunAsync(context);
            result.Name = scenario.Name;
            result.Commit = commit;
            results.Scenarios[scenario.Name] = result;
            results.Save(resultsPath);
            foreach (var metric in result.Metrics.Where(m => m.Target is not null))
            {
                BenchContext.Log($"  => {metric.Label}: {metric.Format(metric.Value)} {metric.Unit} (target {metric.TargetText ?? $"{metric.Comparison} {metric.Target}"}: {(metric.Met == true ? "met" : "MISSED")})");
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            failed++;
            BenchContext.Log($"{scenario.Name} FAILED: {ex}");
        }
    }

    return failed == 0 ? 0 : 1;
}

// The commit measured, so a page regenerated later says which library version each figure belongs to.
static async Task<string?> CommitAsync(string repo)
{
    try
    {
        var head = (await LoadTools.RunAsync("git", ["-C", repo, "rev-parse", "--short", "HEAD"], TimeSpan.FromSeconds(10))).Trim();
        var dirty = (await LoadTools.RunAsync("git", ["-C", repo, "status", "--porcelain", "--", "Roadrunner.AspNetCore"], TimeSpan.FromSeconds(10))).Trim();
        return dirty.Length > 0 ? $"{head} + changes" : head;
    }
    catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or System.ComponentModel.Win32Exception)
    {
        return null;
    }
}

namespace Roadrunner.Bench.LoadClient
{
    internal sealed record Scenario(string Name, string Description, Func<BenchContext, Task<ScenarioResult>> RunAsync);

    internal static class Catalog
    {
        public static IReadOnlyList<Scenario> All { get; } =
        [
            new("hello", "1. HTTP/1.1 keep-alive hello, 50 connections (wrk): req/s and p99 ratio Roadrunner/plain", c => WithServer(c, ThroughputScenarios.HelloAsync)),
            new("h2c", "2. h2c hello, 50 connections x 10 streams (h2load): req/s ratio", c => WithServer(c, ThroughputScenarios.H2cAsync)),
            new("tls", "3. TLS HTTP/1.1 keep-alive hello (wrk): req/s ratio", c => WithServer(c, ThroughputScenarios.TlsAsync)),
            new("churn", "4. connection churn, a new connection per request (wrk -H 'Connection: close'): req/s ratio", c => WithServer(c, ThroughputScenarios.ChurnAsync)),
            new("middleware", "5. UseRoadrunnerDrain() on vs off: req/s ratio, bytes allocated per request", c => WithServer(c, ThroughputScenarios.MiddlewareAsync)),
            new("limits", "10. every per-listener limit set (generous) vs none: req/s ratio", c => WithServer(c, ThroughputScenarios.LimitsAsync)),
            new("proxy", "11. PROXY protocol v2 on vs off, plaintext and TLS, keep-alive hello and connection churn (in-repo load client, a header per connection)", c => WithServer(c, ProxyProtocolScenario.RunAsync)),
            new("lifecycle", "6. StartAsync -> first response, StopAsync, 1,000 listeners and memory per idle listener", LifecycleScenario.RunAsync),
            new("drain", "7. drain 10,000 idle + 1,000 WebSockets; 1,000 ignoring WebSockets with a 1 s deadline", DrainScenario.RunAsync),
            new("memory", "8. RSS per idle connection, Roadrunner vs plain, 10,000 connections", MemoryScenario.RunAsync),
            new("profile", "9. dotnet-trace CPU samples of the server under keep-alive and churn load on a Roadrunner listener", ProfileScenario.RunAsync),
            new("profile-limits", "dotnet-trace CPU samples under keep-alive load on a listener with every limit set and one with none", ProfileScenario.RunLimitsAsync),
            new("profile-h2c", "dotnet-trace CPU samples under h2load on a Roadrunner h2c listener and the plain one", ProfileScenario.RunH2cAsync),
            new("profile-proxy", "dotnet-trace CPU samples under churn with and without a PROXY v2 header (in-repo load client)", ProfileScenario.RunProxyAsync),
        ];

        public static Scenario Find(string name) =>
            All.FirstOrDefault(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase))
            ?? throw new ArgumentException($"Unknown scenario '{name}'. Known: {string.Join(", ", All.Select(s => s.Name))}.");

        private static async Task<ScenarioResult> WithServer(BenchContext context, Func<BenchContext, ServerProcess, Task<ScenarioResult>> run)
        {
            await using var server = await ServerProcess.StartAsync(context.ServerDll);
            return await run(context, server);
        }
    }

    /// <summary>--name value, --flag, and positional arguments.</summary>
    internal sealed class Options
    {
        private readonly Dictionary<string, string?> _named = new(StringComparer.Ordinal);

        public List<string> Positional { get; } = [];

        public static Options Parse(IEnumerable<string> args)
        {
            var options = new Options();
            var list = args.ToList();
            for (var i = 0; i < list.Count; i++)
            {
                if (list[i].StartsWith("--", StringComparison.Ordinal))
                {
                    var name = list[i][2..];
                    var hasValue = i + 1 < list.Count && !list[i + 1].StartsWith("--", StringComparison.Ordinal) && name is not ("quick" or "close");
                    options._named[name] = hasValue ? list[++i] : null;
                }
                else
                {
                    options.Positional.Add(list[i]);
                }
            }

            return options;
        }

        public bool Has(string name) => _named.ContainsKey(name);

        public string Get(string name, string fallback) => _named.TryGetValue(name, out var value) && value is not null ? value : fallback;
    }
}
