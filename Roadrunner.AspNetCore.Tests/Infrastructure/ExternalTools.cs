using Roadrunner.AspNetCore.Tests.Docs;

namespace Roadrunner.AspNetCore.Tests.Infrastructure;

/// <summary>
/// Command-line tools the tests drive (openssl, curl, haproxy): installed from Debian by scripts/ensure-tools.sh when missing,
/// once per process.
/// </summary>
public static class ExternalTools
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static readonly HashSet<string> Present = [];

    /// <summary>The tool's path after making sure it is installed.</summary>
    public static async Task<string> RequireAsync(string tool)
    {
        await Gate.WaitAsync();
        try
        {
            if (Present.Contains(tool) || Find(tool) is not null)
            {
                Present.Add(tool);
                return Find(tool)!;
            }

            var script = Path.Combine(Repository.Root, "scripts", "ensure-tools.sh");
            using var install = ChildProcess.Start("bash", [script, tool]);
            (await install.WaitForExitAsync(TimeSpan.FromMinutes(5))).ShouldBeTrue($"installing {tool} took too long\n{install.Describe()}");
            install.ExitCode.ShouldBe(0, install.Describe());
            var path = Find(tool);
            path.ShouldNotBeNull($"{tool} is still missing after scripts/ensure-tools.sh\n{install.Describe()}");
            Present.Add(tool);
            return path;
        }
        finally
        {
            Gate.Release();
        }
    }

    private static string? Find(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin")
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, tool))
            .FirstOrDefault(File.Exists);
}
