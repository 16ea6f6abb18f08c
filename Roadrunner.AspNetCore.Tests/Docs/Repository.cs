namespace Roadrunner.AspNetCore.Tests.Docs;

/// <summary>The repository the tests run from: the folder above the test output that holds Roadrunner.AspNetCore.slnx.</summary>
public static class Repository
{
    private static readonly Lazy<string> RootPath = new(FindRoot);

    public static string Root => RootPath.Value;

    private static string FindRoot()
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
