using System.Diagnostics;
using System.IO.Compression;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Text;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Roadrunner.AspNetCore.Tests.Packaging;

/// <summary>
/// Packs the library the way a consumer's package is made (plain <c>dotnet pack</c>) and checks what the consumer
/// gets: readme, license, XML docs, symbols with deterministic paths, repository metadata. ./build.sh pack runs
/// the same checks on artifacts/packages.
/// </summary>
public sealed class PackageContentsTests(PackageContentsTests.PackedLibrary package) : IClassFixture<PackageContentsTests.PackedLibrary>
{
    private const string Lib = "lib/net10.0/Roadrunner.AspNetCore";

    [Fact]
    public void The_readme_is_the_package_readme_with_the_install_line_and_absolute_links_into_the_repository()
    {
        var readme = package.Metadata("readme").ShouldNotBeNull();
        readme.ShouldBe("PACKAGE.md");
        package.Entries.ShouldContain(readme);

        var text = package.ReadText(readme);
        text.ShouldContain("dotnet add package Roadrunner.AspNetCore");
        text.ShouldNotContain("./build.sh");
        var repository = package.Repository.Attribute("url")!.Value;
        var links = Regex.Matches(text, @"\]\(([^)\s]+)\)").Select(m => m.Groups[1].Value).ToList();
        links.ShouldNotBeEmpty();
        links.ShouldAllBe(link => link.StartsWith(repository, StringComparison.Ordinal));
    }

    [Fact]
    public void The_license_expression_matches_the_license_file()
    {
        var license = package.Nuspec.Descendants(package.Ns + "license").Single();
        license.Attribute("type")!.Value.ShouldBe("expression");
        license.Value.ShouldBe("MIT");
        File.ReadLines(Path.Combine(package.RepositoryRoot, "LICENSE")).First().ShouldBe("MIT License");
    }

    [Fact]
    public void The_assembly_and_its_xml_docs_are_in_lib()
    {
        package.Entries.ShouldContain($"{Lib}.dll");
        package.Entries.ShouldContain($"{Lib}.xml");
        package.ReadText($"{Lib}.xml").ShouldContain("M:Roadrunner.AspNetCore.IListenerManager.StartAsync");
    }

    [Fact]
    public void The_repository_url_and_commit_are_in_the_nuspec()
    {
        package.Repository.Attribute("type")!.Value.ShouldBe("git");
        package.Repository.Attribute("url")!.Value.ShouldStartWith("https://github.com/");
        package.Metadata("projectUrl").ShouldBe(package.Repository.Attribute("url")!.Value);
        if (Path.Exists(Path.Combine(package.RepositoryRoot, ".git")))   // not in a source archive
        {
            package.Repository.Attribute("commit")!.Value.ShouldMatch("^[0-9a-f]{40}$");
        }
    }

    [Fact]
    public void The_symbols_package_has_the_matching_pdb_with_deterministic_source_paths()
    {
        File.Exists(package.SymbolsPath).ShouldBeTrue($"{package.SymbolsPath} next to the .nupkg");
        using var symbols = ZipFile.OpenRead(package.SymbolsPath);
        var pdbEntry = symbols.GetEntry($"{Lib}.pdb");
        pdbEntry.ShouldNotBeNull();

        using var pe = new PEReader(new MemoryStream(package.ReadBytes($"{Lib}.dll")));
        var codeView = pe.ReadCodeViewDebugDirectoryData(pe.ReadDebugDirectory().Single(e => e.Type == DebugDirectoryEntryType.CodeView));
        codeView.Path.ShouldStartWith("/_/");

        using var pdbStream = new MemoryStream();
        using (var stream = pdbEntry.Open())
        {
            stream.CopyTo(pdbStream);
        }

        pdbStream.Position = 0;
        using var provider = MetadataReaderProvider.FromPortablePdbStream(pdbStream);
        var pdb = provider.GetMetadataReader();
        new Guid(pdb.DebugMetadataHeader!.Id.Take(16).ToArray()).ShouldBe(codeView.Guid, "the .pdb belongs to the packed .dll");

        var documents = pdb.Documents.Select(d => pdb.GetString(pdb.GetDocument(d).Name)).ToList();
        documents.ShouldContain("/_/Roadrunner.AspNetCore/Listeners/ListenerManager.cs");
        documents.ShouldAllBe(d => d.StartsWith("/_/", StringComparison.Ordinal));
        documents.ShouldNotContain(d => d.Contains(package.RepositoryRoot, StringComparison.Ordinal));
    }

    /// <summary>Packs the library once for the class, into artifacts/package-test/{guid} (under the repository, so that
    /// its generated sources map to /_/ like the rest; ignored by git), with its own obj and bin.</summary>
    public sealed class PackedLibrary : IDisposable
    {
        private static readonly TimeSpan PackTimeout = TimeSpan.FromMinutes(3);
        private readonly string _work;
        private readonly ZipArchive _zip;

        public PackedLibrary()
        {
            RepositoryRoot = FindRepositoryRoot();
            _work = Path.Combine(RepositoryRoot, "artifacts", "package-test", Guid.NewGuid().ToString("N"));
            var output = Path.Combine(_work, "packages");
            Pack(Path.Combine(RepositoryRoot, "Roadrunner.AspNetCore", "Roadrunner.AspNetCore.csproj"), output);

            var nupkg = Directory.GetFiles(output, "Roadrunner.AspNetCore.*.nupkg").ShouldHaveSingleItem();
            SymbolsPath = Path.ChangeExtension(nupkg, ".snupkg");
            _zip = ZipFile.OpenRead(nupkg);
            Entries = [.. _zip.Entries.Select(e => e.FullName)];
            Nuspec = XDocument.Parse(ReadText(Entries.Single(e => !e.Contains('/', StringComparison.Ordinal) && e.EndsWith(".nuspec", StringComparison.Ordinal))));
            Ns = Nuspec.Root!.Name.Namespace;
            Repository = Nuspec.Descendants(Ns + "repository").ShouldHaveSingleItem();
        }

        public string RepositoryRoot { get; }

        public string SymbolsPath { get; }

        public IReadOnlyList<string> Entries { get; }

        public XDocument Nuspec { get; }

        public XNamespace Ns { get; }

        public XElement Repository { get; }

        public string? Metadata(string name) => Nuspec.Descendants(Ns + name).SingleOrDefault()?.Value;

        public byte[] ReadBytes(string entry)
        {
            using var stream = _zip.GetEntry(entry)!.Open();
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            return buffer.ToArray();
        }

        public string ReadText(string entry) => Encoding.UTF8.GetString(ReadBytes(entry)).TrimStart('\uFEFF');

        public void Dispose()
        {
            _zip.Dispose();
            try
            {
                Directory.Delete(_work, recursive: true);
                var parent = Path.GetDirectoryName(_work)!;
                if (!Directory.EnumerateFileSystemEntries(parent).Any())
                {
                    Directory.Delete(parent);
                }
            }
            catch (IOException)
            {
                // Best effort: a leftover folder under artifacts/ is harmless and ignored by git.
            }
        }

        private void Pack(string project, string output)
        {
            // --no-restore: the test run has restored the solution. Own obj/bin, so the solution's Release outputs
            // (which this test runs from) are left alone. No build servers: a reused MSBuild node or compiler server
            // would inherit the redirected output and keep it open after dotnet exits.
            string[] arguments =
            [
                "pack", project, "-c", "Release", "--no-restore", "--disable-build-servers", "-o", output,
                $"-p:IntermediateOutputPath={Path.Combine(_work, "obj")}/",
                $"-p:OutputPath={Path.Combine(_work, "bin")}/",
                $"-p:NuspecOutputPath={Path.Combine(_work, "nuspec")}/",
            ];
            var info = new ProcessStartInfo("dotnet")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                WorkingDirectory = RepositoryRoot,
            };
            foreach (var argument in arguments)
            {
                info.ArgumentList.Add(argument);
            }

            info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
            info.Environment["DOTNET_NOLOGO"] = "1";
            info.Environment["MSBUILDDISABLENODEREUSE"] = "1";

            using var process = Process.Start(info)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(PackTimeout))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"dotnet pack did not finish within {PackTimeout}.\n{Output()}");
            }

            Task.WaitAll([stdout, stderr], TimeSpan.FromSeconds(10));

            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"dotnet {string.Join(' ', arguments)} exited with {process.ExitCode}.\n{Output()}");
            }

            string Output() => $"{(stdout.IsCompleted ? stdout.Result : "")}\n{(stderr.IsCompleted ? stderr.Result : "")}";
        }

        private static string FindRepositoryRoot()
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
}
