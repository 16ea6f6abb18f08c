using Roadrunner.AspNetCore.Tests.Infrastructure;

namespace Roadrunner.AspNetCore.Tests.Docs;

/// <summary>
/// scripts/fresh-app.sh (./build.sh fresh-app) end to end: the packed library in a `dotnet new web` app whose
/// Program.cs is README.md's Quick start (with the WebSocket, SSE and long-poll blocks pasted in), built with warnings
/// as errors, run, and answering 200 on a listener it started. About 50 s on its own (pack ~25 s, app build ~15 s).
/// </summary>
public sealed class FreshAppScriptTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task The_readme_quick_start_works_as_pasted_against_the_packed_library()
    {
        var script = Path.Combine(Repository.Root, "scripts", "fresh-app.sh");
        File.Exists(script).ShouldBeTrue();

        using var run = ChildProcess.Start("bash", [script], workingDirectory: Repository.Root);
        var exited = await run.WaitForExitAsync(Limit);

        exited.ShouldBeTrue($"fresh-app.sh did not finish within {Limit}.\n{run.Describe(60)}");
        run.ExitCode.ShouldBe(0, run.Describe(60));
        run.StdoutLines.ShouldContain(l => l.StartsWith("fresh-app: GET http://127.0.0.1:", StringComparison.Ordinal) && l.EndsWith("-> 200 listener=fresh", StringComparison.Ordinal), run.Describe(60));
        run.StdoutLines[^1].ShouldStartWith("fresh-app: OK", customMessage: run.Describe(60));
    }
}
