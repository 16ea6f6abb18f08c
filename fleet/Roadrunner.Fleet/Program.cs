using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using Roadrunner.Fleet;

// The fleet test of rolling restarts. Usage: fleet/run.sh [--quick] [--config a-on,b-off,...] [--rounds N] [--no-docs]
// Exit code: 0 when every targeted configuration met its targets, 1 when one missed, 2 on bad arguments, 3 when the
// run itself failed (a process did not start, HAProxy refused its configuration, ...).
const string usage = """
    usage: fleet/run.sh [--no-build] [--quick] [--config ID[,ID...]] [--rounds N] [--no-docs] [--diagnose-drain] [--out DIR] [--example DLL]

      (default)     the four configurations a-off, a-on, b-off, b-on, two rounds of restarts each (~3 min);
                    writes artifacts/fleet/results.json and the measured section of docs/rollouts.md + docs/rollouts.svg
      --quick       b-on only (no health checks, server removed 1 s after SIGTERM, ShutdownDelay 2 s, DrainSpread 2 s),
                    one round (~40 s); never touches docs/
      --config      the configurations to run: a-off, a-on (HAProxy health checks on /readyz), b-off, b-on (removal
                    1 s after SIGTERM, no retries); -on is ShutdownDelay 2 s + DrainSpread 2 s, -off is both 0
      --rounds N    restart rounds, 1-10 (each restarts every instance once)
      --no-build    (fleet/run.sh) use the Release build already there
      --no-docs     do not write docs/rollouts.md and docs/rollouts.svg
      --diagnose-drain  instances log every drain acknowledgement with a UTC timestamp (artifacts/fleet/logs)
      --out DIR     results and logs (default artifacts/fleet)
      --example DLL the example app to run (default examples/Roadrunner.Example/bin/Release/net10.0/Roadrunner.Example.dll)
    """;

string? repo = null;
string? output = null;
string? example = null;
int? rounds = null;
var quick = false;
var docs = true;
var diagnose = false;
List<string>? selected = null;
try
{
    for (var i = 0; i < args.Length; i++)
    {
        string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
        switch (args[i])
        {
            case "--quick":
                quick = true;
                break;
            case "--no-docs":
                docs = false;
                break;
            case "--diagnose-drain":
                diagnose = true;
                break;
            case "--repo":
                repo = Value();
                break;
            case "--out":
                output = Value();
                break;
            case "--example":
                example = Value();
                break;
            case "--rounds":
                rounds = int.Parse(Value(), System.Globalization.CultureInfo.InvariantCulture);
                break;
            case "--config":
                selected = [.. Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
                break;
            case "-h" or "--help" or "help":
                Console.WriteLine(usage);
                return 0;
            default:
                Console.Error.WriteLine($"fleet: unknown argument '{args[i]}'\n{usage}");
                return 2;
        }
    }
}
catch (Exception ex) when (ex is ArgumentException or FormatException or OverflowException)
{
    Console.Error.WriteLine($"fleet: {ex.Message}\n{usage}");
    return 2;
}

repo = Path.GetFullPath(repo ?? FindRepo());
var configurations = quick && selected is null
    ? [.. Configuration.All.Where(c => c.Id == "b-on")]
    : Configuration.All.Where(c => selected is null || selected.Contains(c.Id)).ToList();
if (rounds is < 1 or > 10)
{
    Console.Error.WriteLine($"fleet: --rounds must be between 1 and 10 (got {rounds})");
    return 2;
}

if (configurations.Count == 0 || (selected is not null && selected.Count != configurations.Count))
{
    Console.Error.WriteLine($"fleet: unknown configuration in '{string.Join(',', selected ?? [])}' (expected a-off, a-on, b-off, b-on)");
    return 2;
}

var settings = new FleetSettings
{
    RepoRoot = repo,
    ExampleDll = Path.GetFullPath(example ?? Path.Combine(repo, "examples/Roadrunner.Example/bin/Release/net10.0/Roadrunner.Example.dll")),
    ExampleContentRoot = Path.Combine(repo, "examples/Roadrunner.Example"),
    OutputDirectory = Path.GetFullPath(output ?? Path.Combine(repo, "artifacts/fleet")),
    Rounds = rounds ?? (quick ? 1 : 2),
    DiagnoseDrain = diagnose,
};
if (!File.Exists(settings.ExampleDll))
{
    Console.Error.WriteLine($"fleet: {settings.ExampleDll} not found; build it first (fleet/run.sh does)");
    return 3;
}

// A full run (every configuration, two rounds) is the one docs/rollouts.md reports.
var writeDocs = docs && !quick && configurations.Count == Configuration.All.Count && settings.Rounds == 2;
if (Directory.Exists(settings.LogDirectory))
{
    Directory.Delete(settings.LogDirectory, recursive: true);
}

Directory.CreateDirectory(settings.LogDirectory);
Console.WriteLine($"fleet: {configurations.Count} configuration(s), {settings.Rounds} round(s), {settings.Instances} instances, " +
    $"{settings.HttpConnections * settings.HttpRatePerConnection} req/s over {settings.HttpConnections} keep-alive connections, " +
    $"{settings.WebSockets} WebSockets, {settings.SseStreams} SSE streams; logs in {settings.LogDirectory}");

// Interrupted (Ctrl+C, or a test's timeout sending SIGTERM): the finally blocks would not run, so stop every child
// process here, by its own pid, before exiting.
using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Interrupted);
using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Interrupted);

var started = Stopwatch.GetTimestamp();
var results = new List<ConfigResult>();
try
{
    foreach (var configuration in configurations)
    {
        var result = await FleetRun.RunAsync(settings, configuration);
        results.Add(result);
        PrintSummary(result);
    }
}
catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or IOException or System.ComponentModel.Win32Exception or System.Net.Sockets.SocketException)
{
    Console.Error.WriteLine($"fleet: the run failed: {ex.Message}");
    return 3;
}

var elapsed = Stopwatch.GetElapsedTime(started);
var run = new RunInfo(
    DateTimeOffset.Now,
    quick ? "./build.sh fleet --quick" : "./build.sh fleet" + (selected is null ? "" : $" --config {string.Join(',', selected)}") + (rounds is null ? "" : $" --rounds {rounds}"),
    Machine(),
    settings.Rounds,
    settings.Instances,
    $"{settings.HttpConnections * settings.HttpRatePerConnection} req/s keep-alive HTTP over {settings.HttpConnections} connections + {settings.WebSockets} WebSockets + {settings.SseStreams} SSE streams through HAProxy, ShutdownTimeout {settings.ShutdownTimeout.TotalSeconds:0} s",
    elapsed);

var json = new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.Never };
await File.WriteAllTextAsync(Path.Combine(settings.OutputDirectory, "results.json"), JsonSerializer.Serialize(new { run, results }, json));
var markdown = Report.Markdown(run, results);
await File.WriteAllTextAsync(Path.Combine(settings.OutputDirectory, "results.md"), markdown);
await File.WriteAllTextAsync(Path.Combine(settings.OutputDirectory, "rollouts.svg"), Report.Svg(results));
if (writeDocs)
{
    Report.ReplaceSection(Path.Combine(repo, "docs/rollouts.md"), markdown);
    File.Copy(Path.Combine(settings.OutputDirectory, "rollouts.svg"), Path.Combine(repo, "docs/rollouts.svg"), overwrite: true);
    Console.WriteLine("fleet: wrote docs/rollouts.md (measured section) and docs/rollouts.svg");
}

Console.WriteLine();
Console.WriteLine(markdown);
Console.WriteLine($"fleet: results in {settings.OutputDirectory}/results.json; {elapsed.TotalMinutes:0.0} min");
var missed = results.Where(r => r.Targeted && !r.AllTargetsMet).ToList();
foreach (var r in missed)
{
    Console.Error.WriteLine($"fleet: {r.Id} missed: {string.Join("; ", r.Targets.Where(t => !t.Met).Select(t => $"{t.Name} ({t.Measured})"))}");
}

return missed.Count == 0 ? 0 : 1;

static void Interrupted(PosixSignalContext context)
{
    context.Cancel = true;
    Console.Error.WriteLine($"fleet: {context.Signal}: stopping the processes this run started");
    ChildProcess.StopAllAsync(TimeSpan.FromSeconds(5)).GetAwaiter().GetResult();
    Environment.Exit(130);
}

static void PrintSummary(ConfigResult r)
{
    Console.WriteLine($"fleet: {r.Id}: HTTP {r.Http.Ok} ok / {r.Http.Failed} failed; WebSocket closes {string.Join(", ", r.WebSockets.ClosesByCode.Select(k => $"{k.Key}: {k.Value}"))}; " +
        $"failed attempts {r.WebSockets.FailedAttempts} WS + {r.Sse.FailedStarts} SSE; SSE drain/no-drain/cut {r.Sse.EndedWithDrain}/{r.Sse.EndedWithoutDrain}/{r.Sse.Broken}; " +
        $"exit codes {string.Join(",", r.Restarts.Select(x => x.ExitCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "killed"))}");
    foreach (var t in r.Targets)
    {
        Console.WriteLine($"        {(r.Targeted ? t.Met ? "met   " : "MISSED" : "      ")} {t.Name}: {t.Measured}");
    }
}

static string FindRepo()
{
    for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
    {
        if (File.Exists(Path.Combine(directory.FullName, "Roadrunner.AspNetCore.slnx")))
        {
            return directory.FullName;
        }
    }

    throw new InvalidOperationException("Roadrunner.AspNetCore.slnx not found above the fleet's folder; pass --repo.");
}

static string Machine()
{
    static string Read(string path, string key) =>
        File.Exists(path) ? File.ReadLines(path).FirstOrDefault(l => l.StartsWith(key, StringComparison.Ordinal))?.Split(key, 2)[1].Trim(' ', ':', '\t', '"') ?? "?" : "?";
    var haproxy = "?";
    try
    {
        using var process = Process.Start(new ProcessStartInfo("haproxy", "-v") { RedirectStandardOutput = true, UseShellExecute = false });
        haproxy = process?.StandardOutput.ReadLine()?.Split(' ').ElementAtOrDefault(2) ?? "?";
        process?.WaitForExit(5000);
    }
    catch (System.ComponentModel.Win32Exception)
    {
        // Reported as "?".
    }

    return $"{Read("/proc/cpuinfo", "model name")}, {Environment.ProcessorCount} cores, {Read("/etc/os-release", "PRETTY_NAME=")}, " +
        $".NET {Environment.Version}, HAProxy {haproxy}, {RuntimeInformation.OSArchitecture}";
}
