using Microsoft.Extensions.Configuration;

namespace Roadrunner.AspNetCore.Tests.Docs;

/// <summary>
/// The code of README.md (and docs/*.md) is code the build compiles: every ```csharp and ```json block is a file, or a
/// marked region of one, under examples/Snippets (named by the <c>&lt;!-- snippet: path#tag --&gt;</c> comment right
/// above the block), and these tests fail, naming the block and its first differing line, when the two drift apart.
/// docs/*.md blocks without a snippet comment must equal some marked region of a .cs file of the repository.
/// </summary>
public sealed class ReadmeSnippetTests
{
    private const string Readme = "README.md";

    public static TheoryData<string, int> Blocks()
    {
        var data = new TheoryData<string, int>();
        foreach (var block in AllBlocks().Where(b => b.IsCSharp || b.IsJson))
        {
            data.Add(block.Document, block.Line);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Blocks))]
    public void The_block_is_its_file_or_region(string document, int line)
    {
        var block = AllBlocks().Single(b => b.Document == document && b.Line == line);

        if (block.Source is null)
        {
            (document != Readme && block.IsCSharp).ShouldBeTrue(
                $"{block.Name} has no file: put it in examples/Snippets (between `// <readme:NAME>` and `// </readme:NAME>` " +
                "lines, or as a whole file) and write `<!-- snippet: examples/Snippets/FILE#readme:NAME -->` on the line above the block.");
            MatchesSomeRegion(block);
            return;
        }

        var path = Path.Combine(Repository.Root, block.Source);
        File.Exists(path).ShouldBeTrue($"{block.Name}: {block.Source} does not exist.");
        var fileLines = MarkdownSnippets.ReadLines(path);
        var expected = block.Region is null ? fileLines : MarkdownSnippets.Region(fileLines, block.Region);
        expected.ShouldNotBeNull($"{block.Name}: {block.Source} has no `// <{block.Region}>` ... `// </{block.Region}>` region.");

        var difference = MarkdownSnippets.FirstDifference(block, expected, block.Region is null ? block.Source : $"{block.Source}#{block.Region}");
        if (difference is not null)
        {
            Assert.Fail(difference);
        }
    }

    [Fact]
    public void The_readme_has_its_known_blocks_and_every_csharp_and_json_block_names_its_file()
    {
        var blocks = ReadmeBlocks().Where(b => b.IsCSharp || b.IsJson).ToList();
        string[] known = ["readme:quickstart", "examples/Snippets/configuration.json", "readme:websocket", "readme:sse", "readme:longpoll"];
        known.ShouldBeSubsetOf(blocks.Select(b => b.Region ?? b.Source));
        blocks.Where(b => b.Source is null).Select(b => b.Name).ShouldBeEmpty("README blocks without a `<!-- snippet: FILE#TAG -->` line above them");
    }

    [Fact]
    public void Every_readme_region_of_the_snippets_is_in_the_readme()
    {
        var used = ReadmeBlocks().Where(b => b.Region is not null).Select(b => $"{b.Source}#{b.Region}").ToHashSet(StringComparer.Ordinal);
        var snippets = Path.Combine(Repository.Root, "examples", "Snippets");
        var defined = Directory.EnumerateFiles(snippets, "*.cs", SearchOption.AllDirectories)
            .Where(f => !IsBuildOutput(f))
            .SelectMany(f => MarkdownSnippets.Regions(MarkdownSnippets.ReadLines(f)).Keys
                .Where(tag => tag.StartsWith("readme:", StringComparison.Ordinal))
                .Select(tag => $"{Path.GetRelativePath(Repository.Root, f).Replace('\\', '/')}#{tag}"))
            .ToList();

        defined.ShouldNotBeEmpty();
        defined.Where(d => !used.Contains(d)).ShouldBeEmpty("regions that no README block shows (remove them, or show them)");
    }

    [Fact]
    public void The_quick_start_comes_with_the_install_line_and_the_using_it_needs()
    {
        var text = File.ReadAllText(Path.Combine(Repository.Root, Readme));
        var quickStart = text[text.IndexOf("## Quick start", StringComparison.Ordinal)..];
        quickStart = quickStart[..quickStart.IndexOf("\n## ", 1, StringComparison.Ordinal)];

        quickStart.ShouldContain("dotnet add package Roadrunner.AspNetCore");
        ReadmeBlocks().First(b => b.Region == "readme:quickstart").Lines[0].ShouldBe("using Roadrunner.AspNetCore;");
        // What the app binds with no --urls, and what the placeholder lines of the start-up log are.
        quickStart.ShouldContain("--urls");
        quickStart.ShouldContain("roadrunner-http1");
    }

    [Fact]
    public void The_configuration_block_binds_to_the_options_with_no_unknown_key()
    {
        var path = Path.Combine(Repository.Root, "examples", "Snippets", "configuration.json");
        var configuration = new ConfigurationBuilder().AddJsonFile(path, optional: false).Build();

        var options = new RoadrunnerOptions();
        configuration.GetSection("Roadrunner").Bind(options, o => o.ErrorOnUnknownConfiguration = true);

        options.Listeners.Keys.ShouldBe(["admin", "public", "tls"], ignoreOrder: true);
        options.Listeners["tls"].Protocols.ShouldBe(ListenerProtocols.Http1AndHttp2);
        options.Listeners["public"].MaxConnections.ShouldBe(10000);
    }

    [Fact]
    public void A_block_that_drifted_from_its_region_fails_with_the_block_and_the_first_differing_line()
    {
        string[] markdown =
        [
            "Text.",
            "<!-- snippet: examples/Snippets/X.cs#readme:x -->",
            "```csharp",
            "using System;",
            "",
            "Console.WriteLine(1);",
            "```",
        ];
        string[] source =
        [
            "// <readme:x>",
            "using System;",
            "",
            "// </readme:x>",
            "static class X",
            "{",
            "    static void M()",
            "    {",
            "        // <readme:x>",
            "        Console.WriteLine(2);",
            "        // </readme:x>",
            "    }",
            "}",
        ];

        var block = MarkdownSnippets.ParseBlocks("DOC.md", markdown).ShouldHaveSingleItem();
        block.Source.ShouldBe("examples/Snippets/X.cs");
        block.Region.ShouldBe("readme:x");
        var region = MarkdownSnippets.Region(source, "readme:x").ShouldNotBeNull();
        region.ShouldBe(["using System;", "", "Console.WriteLine(2);"]);

        var message = MarkdownSnippets.FirstDifference(block, region, "X.cs#readme:x").ShouldNotBeNull();
        message.ShouldContain("DOC.md line 3 (```csharp, examples/Snippets/X.cs#readme:x)");
        message.ShouldContain("at line 3 of the block (DOC.md line 6)");
        message.ShouldContain("\"Console.WriteLine(1);\"");
        message.ShouldContain("\"Console.WriteLine(2);\"");

        MarkdownSnippets.FirstDifference(block with { Lines = region }, region, "X.cs#readme:x").ShouldBeNull();
        MarkdownSnippets.FirstDifference(block with { Lines = [.. region, "extra"] }, region, "X.cs#readme:x")
            .ShouldNotBeNull().ShouldContain("(no line: the text ends here)");
    }

    private static void MatchesSomeRegion(MarkdownBlock block)
    {
        var candidates = Directory.EnumerateFiles(Repository.Root, "*.cs", SearchOption.AllDirectories)
            .Where(f => !IsBuildOutput(f))
            .SelectMany(f => MarkdownSnippets.Regions(MarkdownSnippets.ReadLines(f))
                .Select(r => (Name: $"{Path.GetRelativePath(Repository.Root, f).Replace('\\', '/')}#{r.Key}", Lines: r.Value)))
            .ToList();
        if (candidates.Any(c => c.Lines.SequenceEqual(block.Lines)))
        {
            return;
        }

        // Not found: report against the region it most likely came from (the longest common start).
        var closest = candidates.OrderByDescending(c => c.Lines.Zip(block.Lines).TakeWhile(p => p.First == p.Second).Count()).FirstOrDefault();
        closest.Name.ShouldNotBeNull($"{block.Name} has no snippet comment and there is no marked region in the repository's .cs files.");
        Assert.Fail($"{block.Name} has no snippet comment and equals no marked region of a .cs file. Closest: " +
            MarkdownSnippets.FirstDifference(block, closest.Lines, closest.Name));
    }

    private static IEnumerable<MarkdownBlock> ReadmeBlocks() =>
        MarkdownSnippets.ParseBlocks(Readme, MarkdownSnippets.ReadLines(Path.Combine(Repository.Root, Readme)));

    private static IEnumerable<MarkdownBlock> AllBlocks()
    {
        var docs = Path.Combine(Repository.Root, "docs");
        var documents = new[] { Readme }.Concat(Directory.Exists(docs)
            ? Directory.EnumerateFiles(docs, "*.md").Order(StringComparer.Ordinal).Select(f => $"docs/{Path.GetFileName(f)}")
            : []);
        return documents.SelectMany(d => MarkdownSnippets.ParseBlocks(d, MarkdownSnippets.ReadLines(Path.Combine(Repository.Root, d))));
    }

    private static bool IsBuildOutput(string path)
    {
        var relative = Path.GetRelativePath(Repository.Root, path).Replace('\\', '/');
        return relative.StartsWith("artifacts/", StringComparison.Ordinal) || relative.StartsWith(".git/", StringComparison.Ordinal) ||
            relative.Contains("/bin/", StringComparison.Ordinal) || relative.Contains("/obj/", StringComparison.Ordinal);
    }
}
