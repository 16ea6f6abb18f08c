using System.Text.RegularExpressions;

namespace Roadrunner.AspNetCore.Tests.Docs;

/// <summary>A fenced code block of a Markdown file, and the file (and region) its <c>&lt;!-- snippet: ... --&gt;</c> comment names.</summary>
/// <param name="Document">The Markdown file, relative to the repository root.</param>
/// <param name="Line">The 1-based line of the opening fence.</param>
/// <param name="Language">The fence's language, lower case (<c>csharp</c>, <c>json</c>, ...).</param>
/// <param name="Lines">The lines between the fences.</param>
/// <param name="Source">The snippet comment's file, relative to the repository root; <see langword="null"/> without a comment.</param>
/// <param name="Region">The snippet comment's region tag (after <c>#</c>); <see langword="null"/> for the whole file.</param>
public sealed record MarkdownBlock(string Document, int Line, string Language, IReadOnlyList<string> Lines, string? Source, string? Region)
{
    public bool IsCSharp => Language is "csharp" or "cs" or "c#";

    public bool IsJson => Language == "json";

    public string Name => $"{Document} line {Line} (```{Language}{(Source is null ? "" : $", {Source}{(Region is null ? "" : "#" + Region)}")})";
}

/// <summary>
/// Reads the fenced blocks of Markdown files and the marked regions of source files, and compares them line by line.
/// A region is the text between a <c>// &lt;TAG&gt;</c> line and a <c>// &lt;/TAG&gt;</c> line; a file may hold several
/// regions with one tag, which are joined in order (so that a block's <c>using</c> lines can sit at the top of the
/// file and the rest inside a method). Each piece loses its common indentation; marker lines of other tags inside a
/// region are left out.
/// </summary>
public static partial class MarkdownSnippets
{
    [GeneratedRegex(@"^\s*<!--\s*snippet:\s*(?<source>[^#\s]+)(#(?<region>\S+))?\s*-->\s*$")]
    private static partial Regex SnippetComment();

    [GeneratedRegex(@"^\s*//\s*<(?<end>/?)(?<tag>[A-Za-z0-9:._-]+)>\s*$")]
    private static partial Regex RegionMarker();

    [GeneratedRegex(@"^ {0,3}(?<fence>`{3,})\s*(?<info>[^`\s]*)")]
    private static partial Regex Fence();

    public static IReadOnlyList<string> ReadLines(string path) =>
        File.ReadAllText(path).ReplaceLineEndings("\n").TrimEnd('\n').Split('\n');

    /// <summary>The fenced blocks of <paramref name="lines"/>, with the snippet comment on the line right above each.</summary>
    public static IReadOnlyList<MarkdownBlock> ParseBlocks(string document, IReadOnlyList<string> lines)
    {
        var blocks = new List<MarkdownBlock>();
        for (var i = 0; i < lines.Count; i++)
        {
            var open = Fence().Match(lines[i]);
            if (!open.Success)
            {
                continue;
            }

            var fence = open.Groups["fence"].Value;
            var indent = lines[i].Length - lines[i].TrimStart(' ').Length;
            var end = i + 1;
            while (end < lines.Count && !IsClosingFence(lines[end], fence))
            {
                end++;
            }

            if (end == lines.Count)
            {
                throw new InvalidOperationException($"{document} line {i + 1}: the ``` fence is never closed.");
            }

            var body = lines.Skip(i + 1).Take(end - i - 1).Select(l => l.Length >= indent && l[..indent].Trim().Length == 0 ? l[indent..] : l.TrimStart()).ToList();
            var comment = i > 0 ? SnippetComment().Match(lines[i - 1]) : Match.Empty;
            blocks.Add(new MarkdownBlock(
                document,
                i + 1,
                open.Groups["info"].Value.ToLowerInvariant(),
                body,
                comment.Success ? comment.Groups["source"].Value : null,
                comment.Success && comment.Groups["region"].Success ? comment.Groups["region"].Value : null));
            i = end;
        }

        return blocks;
    }

    /// <summary>The text of every region tagged <paramref name="tag"/> in <paramref name="lines"/>, joined; <see langword="null"/> if there is none.</summary>
    public static IReadOnlyList<string>? Region(IReadOnlyList<string> lines, string tag)
    {
        var regions = Regions(lines);
        return regions.TryGetValue(tag, out var region) ? region : null;
    }

    /// <summary>Every region of <paramref name="lines"/> by tag (pieces of one tag joined).</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<string>> Regions(IReadOnlyList<string> lines)
    {
        var joined = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var open = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var line in lines)
        {
            var marker = RegionMarker().Match(line);
            if (marker.Success)
            {
                var tag = marker.Groups["tag"].Value;
                if (marker.Groups["end"].Value.Length == 0)
                {
                    open[tag] = [];
                }
                else if (open.Remove(tag, out var piece))
                {
                    if (!joined.TryGetValue(tag, out var all))
                    {
                        joined[tag] = all = [];
                    }

                    all.AddRange(Dedent(piece));
                }

                continue;
            }

            foreach (var piece in open.Values)
            {
                piece.Add(line);
            }
        }

        if (open.Count > 0)
        {
            throw new InvalidOperationException($"region(s) never closed: {string.Join(", ", open.Keys)}");
        }

        return joined.ToDictionary(r => r.Key, r => (IReadOnlyList<string>)r.Value, StringComparer.Ordinal);
    }

    /// <summary>
    /// <see langword="null"/> when the lines are equal; otherwise where they first differ, for a failure message
    /// that names the block.
    /// </summary>
    public static string? FirstDifference(MarkdownBlock block, IReadOnlyList<string> expected, string expectedName)
    {
        var actual = block.Lines;
        for (var i = 0; i < Math.Max(actual.Count, expected.Count); i++)
        {
            var a = i < actual.Count ? actual[i] : null;
            var e = i < expected.Count ? expected[i] : null;
            if (a != e)
            {
                return $"{block.Name} differs from {expectedName} at line {i + 1} of the block ({block.Document} line {block.Line + 1 + i}):\n" +
                    $"  {block.Document}: {Show(a)}\n" +
                    $"  {expectedName}: {Show(e)}\n" +
                    $"  (the block has {actual.Count} lines, {expectedName} has {expected.Count}; update one to match the other)";
            }
        }

        return null;
    }

    private static string Show(string? line) => line is null ? "(no line: the text ends here)" : $"\"{line}\"";

    private static bool IsClosingFence(string line, string fence)
    {
        var trimmed = line.Trim();
        return trimmed.Length >= fence.Length && trimmed.All(c => c == '`');
    }

    private static IEnumerable<string> Dedent(List<string> piece)
    {
        var indent = piece.Where(l => l.Trim().Length > 0).Select(l => l.Length - l.TrimStart().Length).DefaultIfEmpty(0).Min();
        return piece.Select(l => l.Trim().Length == 0 ? "" : l[indent..]);
    }
}
