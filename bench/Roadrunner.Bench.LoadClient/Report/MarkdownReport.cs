using System.Globalization;
using System.Text;

namespace Roadrunner.Bench.LoadClient.Report;

internal static class ScenarioOrder
{
    public static readonly string[] Names = ["hello", "h2c", "tls", "churn", "middleware", "lifecycle", "drain", "memory", "limits", "proxy", "profile", "profile-limits", "profile-h2c", "profile-proxy"];

    public static readonly Dictionary<string, string> Titles = new()
    {
        ["hello"] = "1. HTTP/1.1 keep-alive hello",
        ["h2c"] = "2. h2c, 50 × 10 streams",
        ["tls"] = "3. TLS HTTP/1.1 hello",
        ["churn"] = "4. Connection churn",
        ["middleware"] = "5. UseRoadrunnerDrain() on vs off",
        ["lifecycle"] = "6. Listener lifecycle",
        ["drain"] = "7. Drain at scale",
        ["memory"] = "8. Memory per idle connection",
        ["limits"] = "10. Every per-listener limit vs none",
        ["proxy"] = "11. PROXY protocol v2 on vs off",
        ["profile"] = "Profile",
        ["profile-limits"] = "Profile, limits",
        ["profile-h2c"] = "Profile, h2c",
        ["profile-proxy"] = "Profile, PROXY protocol",
    };

    /// <summary>Headings of the detail sections.</summary>
    public static readonly Dictionary<string, string> Headings = new()
    {
        ["hello"] = "1. HTTP/1.1 keep-alive hello, 50 connections (wrk)",
        ["h2c"] = "2. h2c hello, 50 connections × 10 streams (h2load)",
        ["tls"] = "3. TLS HTTP/1.1 keep-alive hello, 50 connections (wrk)",
        ["churn"] = "4. Connection churn: a new connection per request, 50 connections (wrk -H \"Connection: close\")",
        ["middleware"] = "5. UseRoadrunnerDrain() on vs off, 50 connections (wrk)",
        ["lifecycle"] = "6. Listener lifecycle: StartAsync → first response, StopAsync, 1,000 listeners",
        ["drain"] = "7. Drain at scale, one listener: 10,000 idle connections + 1,000 WebSockets; 1,000 WebSockets ignoring the drain",
        ["memory"] = "8. Memory per idle connection: 10,000 idle keep-alive connections, Roadrunner vs plain",
        ["limits"] = "10. Every per-listener limit set (generous) vs none, same kind of listener, 50 connections (wrk)",
        ["proxy"] = "11. PROXY protocol v2 on vs off: plaintext and TLS, keep-alive hello and connection churn, 50 connections (in-repo load client)",
        ["profile"] = "Profile: where the adapter's time goes",
        ["profile-limits"] = "Profile: where the per-listener limits' time goes",
        ["profile-h2c"] = "Profile: where an h2c request's time goes",
        ["profile-proxy"] = "Profile: where a PROXY protocol connection's time goes",
    };
}

/// <summary>
/// docs/benchmarks.md: bench/benchmarks.template.md with its placeholders filled from the results file
/// ({{GENERATED}}, {{MACHINE}}, {{SUMMARY}}, {{DETAILS}}, {{CHART}}).
/// </summary>
internal static class MarkdownReport
{
    public static void Write(ResultsFile results, string templatePath, string markdownPath, string svgPath)
    {
        var template = File.ReadAllText(templatePath);
        var chartName = Path.GetFileName(svgPath);
        var markdown = template
            .Replace("{{GENERATED}}", Generated(results), StringComparison.Ordinal)
            .Replace("{{MACHINE}}", MachineTable(results.Machine), StringComparison.Ordinal)
            .Replace("{{SUMMARY}}", Summary(results), StringComparison.Ordinal)
            .Replace("{{CHART}}", $"![Overhead ratios and drain timings]({chartName})", StringComparison.Ordinal)
            .Replace("{{DETAILS}}", Details(results), StringComparison.Ordinal);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(markdownPath))!);
        File.WriteAllText(markdownPath, markdown.ReplaceLineEndings("\n"));
        File.WriteAllText(svgPath, SvgChart.Render(results));
    }

    private static string Generated(ResultsFile results)
    {
        var runs = results.Scenarios.Values.ToList();
        if (runs.Count == 0)
        {
            return "No scenario has run yet.";
        }

        var from = runs.Min(r => r.RanAt).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);
        var to = runs.Max(r => r.RanAt).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);
        var quick = runs.Where(r => r.Quick).Select(r => r.Name).ToList();
        var commits = string.Join(", ", runs.Select(r => r.Commit ?? "unknown").Distinct());
        return $"Figures measured {from}{(from == to ? "" : $" – {to}")} UTC on library commit {commits}" +
            (quick.Count > 0 ? $"; **quick (shorter) runs** for: {string.Join(", ", quick)}." : "; full runs.");
    }

    private static string MachineTable(MachineInfo? machine)
    {
        if (machine is null)
        {
            return "(not recorded)";
        }

        var b = new StringBuilder();
        b.AppendLine("| | |");
        b.AppendLine("|---|---|");
        b.AppendLine(CultureInfo.InvariantCulture, $"| CPU | {machine.Cores} cores (`nproc`), {Cell(machine.CpuModel)} (`/proc/cpuinfo` model name) |");
        b.AppendLine(CultureInfo.InvariantCulture, $"| Memory | {machine.Memory} |");
        b.AppendLine(CultureInfo.InvariantCulture, $"| OS, kernel | {Cell(machine.Os)}, Linux {Cell(machine.Kernel)} |");
        b.AppendLine(CultureInfo.InvariantCulture, $"| .NET (`dotnet --info`) | {Cell(machine.DotnetInfo)}; {Cell(machine.Runtime)} |");
        b.AppendLine(CultureInfo.InvariantCulture, $"| Load tools | {Cell(machine.Wrk)}; {Cell(machine.H2load)}; the in-repo .NET load client |");
        b.Append(CultureInfo.InvariantCulture, $"| Sharing | load generator and server run on the same {machine.Cores} cores, and other builds may run on the machine at the same time: absolute numbers are noisy, ratios of alternating runs in one server process much less so |");
        return b.ToString();
    }

    private static string Summary(ResultsFile results)
    {
        var b = new StringBuilder();
        b.AppendLine("| Scenario | Measure | Result: median (min–max) | Target | |");
        b.AppendLine("|---|---|---|---|---|");
        foreach (var name in ScenarioOrder.Names)
        {
            var title = ScenarioOrder.Titles[name];
            if (!results.Scenarios.TryGetValue(name, out var scenario))
            {
                if (!name.StartsWith("profile", StringComparison.Ordinal))
                {
                    b.AppendLine(CultureInfo.InvariantCulture, $"| {title} | | not run yet | | |");
                }

                continue;
            }

            var rows = scenario.Metrics.Where(m => m.Target is not null || m.Chart is not null).ToList();
            if (name.StartsWith("profile", StringComparison.Ordinal))
            {
                rows = scenario.Metrics;
            }

            foreach (var m in rows)
            {
                var target = m.Target is null ? "" : m.TargetText ?? $"{m.Comparison} {m.Format(m.Target.Value)}";
                var status = m.Met switch { true => "met", false => "**missed**", _ => "" };
                b.AppendLine(CultureInfo.InvariantCulture, $"| {title} | {Cell(m.Label)} | {Value(m)} | {Cell(target)} | {status} |");
            }
        }

        return b.ToString().TrimEnd();
    }

    private static string Value(Metric m)
    {
        if (double.IsNaN(m.Value))
        {
            return "n/a";
        }

        var unit = m.Unit is "ratio" ? "" : $" {m.Unit}";
        var range = m.Min is { } min && m.Max is { } max ? $" ({m.Format(min)}–{m.Format(max)})" : "";
        return $"**{m.Format(m.Value)}**{unit}{range}";
    }

    private static string Details(ResultsFile results)
    {
        var b = new StringBuilder();
        foreach (var name in ScenarioOrder.Names)
        {
            if (!results.Scenarios.TryGetValue(name, out var s))
            {
                continue;
            }

            b.AppendLine(CultureInfo.InvariantCulture, $"### {ScenarioOrder.Headings[name]}");
            b.AppendLine();
            b.AppendLine(CultureInfo.InvariantCulture, $"`./build.sh bench {name}` — last run {s.RanAt.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC{(s.Quick ? " with `--quick`" : "")}, commit {s.Commit ?? "unknown"}.");
            b.AppendLine();
            b.AppendLine(CultureInfo.InvariantCulture, $"How: {s.Method}");
            b.AppendLine();
            b.AppendLine("| Measure | Median | Min–max | Runs | Target | |");
            b.AppendLine("|---|---|---|---|---|---|");
            foreach (var m in s.Metrics)
            {
                var target = m.Target is null ? "" : m.TargetText ?? $"{m.Comparison} {m.Format(m.Target.Value)}";
                var status = m.Met switch { true => "met", false => "**missed**", _ => "" };
                var unit = m.Unit is "ratio" ? "" : $" {m.Unit}";
                var range = m.Min is { } min && m.Max is { } max ? $"{m.Format(min)}–{m.Format(max)}" : "";
                b.AppendLine(CultureInfo.InvariantCulture, $"| {Cell(m.Label)} | {(double.IsNaN(m.Value) ? "n/a" : m.Format(m.Value) + unit)} | {range} | {m.Runs} | {Cell(target)} | {status} |");
            }

            foreach (var note in s.Notes)
            {
                b.AppendLine();
                b.AppendLine(note);
            }

            foreach (var table in s.Tables)
            {
                b.AppendLine();
                b.AppendLine(CultureInfo.InvariantCulture, $"{table.Title}:");
                b.AppendLine();
                b.AppendLine("| " + string.Join(" | ", table.Headers) + " |");
                b.AppendLine("|" + string.Concat(table.Headers.Select(_ => "---|")));
                foreach (var row in table.Rows)
                {
                    b.AppendLine("| " + string.Join(" | ", row.Select(c => double.TryParse(c, CultureInfo.InvariantCulture, out _) || c.Length == 0 ? c : $"`{c}`")) + " |");
                }
            }

            b.AppendLine();
        }

        return b.ToString().TrimEnd();
    }

    private static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal);
}
