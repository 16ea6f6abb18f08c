using System.Diagnostics;
using System.Text.Json;

namespace Roadrunner.AspNetCore.Tests.Fleet;

/// <summary>The fleet test shares the machine's cores with three app instances and HAProxy: it runs alone.</summary>
[CollectionDefinition(nameof(FleetSmoke), DisableParallelization = true)]
public sealed class FleetSmoke;

/// <summary>
/// The short form of the fleet test (<c>fleet/run.sh --quick</c>, about 40 s): HAProxy without health checks in front
/// of three example instances, each removed from the balancer 1 s after its SIGTERM, one rolling restart with
/// ShutdownDelay 2 s and DrainSpread 2 s, under keep-alive HTTP, WebSocket and SSE load. The script installs HAProxy
/// when it is missing and uses the Release build of the solution (built by <c>./build.sh test</c>, or by the script).
/// </summary>
[Collection(nameof(FleetSmoke))]
public sealed class FleetSmokeTests
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(4);

    [Fact]
    public async Task A_rolling_restart_behind_HAProxy_fails_no_request_and_ends_every_WebSocket_and_SSE_stream_with_the_drain()
    {
        var root = RepositoryRoot();
        var output = Path.Combine(Path.GetTempPath(), $"roadrunner-fleet-{Guid.NewGuid():N}");
        try
        {
            var (exitCode, log) = await RunAsync(root, output);
            var resultsPath = Path.Combine(output, "results.json");
            File.Exists(resultsPath).ShouldBeTrue($"fleet/run.sh --quick exited {exitCode} without results:\n{log}");

            using var results = JsonDocument.Parse(await File.ReadAllTextAsync(resultsPath));
            var run = results.RootElement.GetProperty("results")[0];
            run.GetProperty("id").GetString().ShouldBe("b-on");
            var targets = run.GetProperty("targets").EnumerateArray()
                .ToDictionary(t => t.GetProperty("name").GetString()!, t => (Met: t.GetProperty("met").GetBoolean(), Measured: t.GetProperty("measured").GetString()));
            foreach (var name in new[]
            {
                "0 failed HTTP requests",
                "every WebSocket close is 1001",
                "every SSE stream ends with the drain event",
                "every reconnect succeeds",
                "every instance exits 0",
            })
            {
                targets[name].Met.ShouldBeTrue($"{name}: {targets[name].Measured}\n{log}");
            }

            // The spread happened: each instance's WebSockets were told over most of the 2 s window, not in one burst
            // (about 100 % in one 100 ms window without it). The ≤ 10 % target is judged by the full run
            // (docs/rollouts.md: 7.5 %); here, inside a loaded suite run, with a margin for a busy machine.
            foreach (var restart in run.GetProperty("restarts").EnumerateArray())
            {
                restart.GetProperty("closeSpanMs").GetDouble().ShouldBeGreaterThan(1500, log);
                restart.GetProperty("maxShareSliding").GetDouble().ShouldBeLessThanOrEqualTo(0.15, log);
            }
        }
        finally
        {
            if (Directory.Exists(output))
            {
                Directory.Delete(output, recursive: true);
            }
        }
    }

    private static async Task<(int ExitCode, string Log)> RunAsync(string root, string output)
    {
        var info = new ProcessStartInfo("bash")
        {
            WorkingDirectory = root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { Path.Combine(root, "fleet", "run.sh"), "--no-build", "--quick", "--out", output })
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start bash.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(RunTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            // The driver stops its own children on SIGTERM; Process.Kill would be SIGKILL, which leaves them running.
            using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }

            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await process.WaitForExitAsync(grace.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
            }

            throw new TimeoutException($"fleet/run.sh --quick did not finish within {RunTimeout.TotalMinutes:0} min:\n{await stdout}\n{await stderr}");
        }

        return (process.ExitCode, $"{await stdout}\n{await stderr}");
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Roadrunner.AspNetCore.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"Roadrunner.AspNetCore.slnx not found above {AppContext.BaseDirectory}.");
    }
}
