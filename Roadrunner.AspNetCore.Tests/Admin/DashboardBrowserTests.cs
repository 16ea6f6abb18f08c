using System.Text.Json;
using Roadrunner.AspNetCore.Tests.Docs;
using Roadrunner.AspNetCore.Tests.Example;
using Roadrunner.AspNetCore.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Roadrunner.AspNetCore.Tests.Admin;

/// <summary>The browser test shares the machine's cores with Chromium: it runs alone, after the parallel tests.</summary>
[CollectionDefinition(nameof(DashboardBrowser), DisableParallelization = true)]
public sealed class DashboardBrowser;

/// <summary>
/// The dashboard in headless Chromium (Debian package) driven by puppeteer-core (npm, downloads no browser), against the
/// example app: e2e/run.sh installs both when missing and runs e2e/dashboard.test.mjs (about 15 s). The scenario is the
/// issue's (form → listener appears → WebSocket → drain from the page → countdown → Drained with 1 acknowledgement → gone),
/// then a measurement with 1,000 listeners.
/// </summary>
[Collection(nameof(DashboardBrowser))]
public sealed class DashboardBrowserTests(ITestOutputHelper output)
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(5); // apt-get install chromium on a new machine.

    [Fact]
    public async Task The_page_starts_a_listener_drains_it_with_a_websocket_that_acknowledges_and_shows_a_thousand_listeners()
    {
        await using var app = ExampleApp.Start();
        var screenshot = Path.Combine(Path.GetTempPath(), $"roadrunner-dashboard-{Guid.NewGuid():N}.png");
        try
        {
            using var run = ChildProcess.Start(
                "bash",
                [Path.Combine(Repository.Root, "e2e", "run.sh"), app.AdminUrl.ToString().TrimEnd('/'), screenshot, "1000"],
                workingDirectory: Path.Combine(Repository.Root, "e2e"));
            (await run.WaitForExitAsync(RunTimeout)).ShouldBeTrue(run.Describe());
            output.WriteLine(run.Describe(40));
            run.ExitCode.ShouldBe(0, run.Describe());

            var line = run.StdoutLines.Single(l => l.StartsWith("RESULT ", StringComparison.Ordinal));
            using var result = JsonDocument.Parse(line["RESULT ".Length..]);
            var root = result.RootElement;
            root.GetProperty("ok").GetBoolean().ShouldBeTrue();
            root.GetProperty("outcome").GetString()!.ShouldStartWith("Drained");
            root.GetProperty("snapshotBytes").GetInt32().ShouldBeLessThan(150_000); // 1,002 compact rows.
            root.GetProperty("idleDeltaBytes").GetInt32().ShouldBeLessThan(2_000); // Nothing changed: no rows.
            File.Exists(screenshot).ShouldBeTrue();
            app.Manager.Names.ShouldBe(["public", "admin"]); // The measurement cleaned up after itself.
        }
        finally
        {
            File.Delete(screenshot);
        }
    }
}
