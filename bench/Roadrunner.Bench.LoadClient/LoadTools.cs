using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Roadrunner.Bench.LoadClient;

/// <summary>One run of a load tool against one URL.</summary>
internal sealed record ToolRun(string Arm, double RequestsPerSecond, long Requests, long Errors, double P50Ms, double P99Ms, double AllocatedPerRequest, double WorkItemsPerRequest, double CpuMicrosecondsPerRequest)
{
    public JsonObject ToJson() => new()
    {
        ["arm"] = Arm,
        ["rps"] = Math.Round(RequestsPerSecond, 1),
        ["requests"] = Requests,
        ["errors"] = Errors,
        ["p50Ms"] = double.IsNaN(P50Ms) ? null : Math.Round(P50Ms, 3),
        ["p99Ms"] = double.IsNaN(P99Ms) ? null : Math.Round(P99Ms, 3),
        ["allocatedPerRequest"] = Math.Round(AllocatedPerRequest, 1),
        ["workItemsPerRequest"] = Math.Round(WorkItemsPerRequest, 3),
        ["cpuMicrosecondsPerRequest"] = Math.Round(CpuMicrosecondsPerRequest, 2),
    };
}

/// <summary>wrk (HTTP/1.1, TLS) and h2load (h2c), as processes; their summaries parsed.</summary>
internal static partial class LoadTools
{
    public static string WrkScript { get; set; } = "bench/tools/wrk-json.lua";

    /// <summary>wrk, one thread (the server gets the other core), latency percentiles from its Lua summary.</summary>
    public static async Task<(double Rps, long Requests, long Errors, double P50Ms, double P99Ms)> WrkAsync(
        string url, int connections, int seconds, bool connectionClose)
    {
        var args = new List<string> { "-t1", $"-c{connections}", $"-d{seconds}s", "--timeout", "5s", "-s", WrkScript };
        if (connectionClose)
        {
            args.AddRange(["-H", "Connection: close"]);
        }

        args.Add(url);
        var output = await RunAsync("wrk", args, TimeSpan.FromSeconds(seconds + 30));
        var line = output.Split('\n').FirstOrDefault(l => l.StartsWith("WRK_JSON ", StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"wrk printed no summary:\n{output}");
        var json = JsonNode.Parse(line["WRK_JSON ".Length..])!.AsObject();
        long L(string key) => json[key]!.GetValue<long>();
        var requests = L("requests");
        var seconds2 = L("duration_us") / 1e6;
        var errors = L("errors_connect") + L("errors_read") + L("errors_write") + L("errors_status") + L("errors_timeout");
        return (requests / seconds2, requests, errors, L("lat_p50_us") / 1000.0, L("lat_p99_us") / 1000.0);
    }

    /// <summary>h2load, one thread, <paramref name="connections"/> × <paramref name="streams"/> concurrent streams, prior-knowledge h2c for http://.</summary>
    public static async Task<(double Rps, long Requests, long Errors)> H2loadAsync(string url, int connections, int streams, int seconds)
    {
        var args = new List<string> { "-t1", $"-c{connections}", $"-m{streams}", "-D", seconds.ToString(CultureInfo.InvariantCulture), url };
        var output = await RunAsync("h2load", args, TimeSpan.FromSeconds(seconds + 30));
        // finished in 5.00s, 123456.78 req/s, 4.51MB/s
        var rps = FinishedRegex().Match(output);
        // requests: 100 total, 100 started, 100 done, 100 succeeded, 0 failed, 0 errored, 0 timeout
        var counts = RequestsRegex().Match(output);
        if (!rps.Success || !counts.Success)
        {
            throw new InvalidOperationException($"Unexpected h2load output:\n{output}");
        }

        var succeeded = long.Parse(counts.Groups["succeeded"].Value, CultureInfo.InvariantCulture);
        var errors = long.Parse(counts.Groups["failed"].Value, CultureInfo.InvariantCulture)
            + long.Parse(counts.Groups["errored"].Value, CultureInfo.InvariantCulture)
            + long.Parse(counts.Groups["timeout"].Value, CultureInfo.InvariantCulture);
        return (double.Parse(rps.Groups["rps"].Value, CultureInfo.InvariantCulture), succeeded, errors);
    }

    public static async Task<string> RunAsync(string file, IEnumerable<string> args, TimeSpan timeout, string? workingDirectory = null, bool allowFailure = false)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (workingDirectory is not null)
        {
            start.WorkingDirectory = workingDirectory;
        }

        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Cannot start {file}.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} did not finish within {timeout}.");
        }

        var text = await stdout + await stderr;
        if (process.ExitCode != 0 && !allowFailure)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', start.ArgumentList)} exited with {process.ExitCode}:\n{text}");
        }

        return text;
    }

    [GeneratedRegex(@"finished in [\d.]+\w+, (?<rps>[\d.]+) req/s")]
    private static partial Regex FinishedRegex();

    [GeneratedRegex(@"requests: \d+ total, \d+ started, \d+ done, (?<succeeded>\d+) succeeded, (?<failed>\d+) failed, (?<errored>\d+) errored, (?<timeout>\d+) timeout")]
    private static partial Regex RequestsRegex();
}
