using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Roadrunner.Bench.LoadClient;

/// <summary>bench/results/results.json: the machine and every scenario's last result. Rerunning one scenario replaces only its entry.</summary>
internal sealed class ResultsFile
{
    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public MachineInfo? Machine { get; set; }

    public Dictionary<string, ScenarioResult> Scenarios { get; set; } = [];

    public static ResultsFile Load(string path) =>
        File.Exists(path) ? JsonSerializer.Deserialize<ResultsFile>(File.ReadAllText(path), Json) ?? new ResultsFile() : new ResultsFile();

    public void Save(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllText(path, JsonSerializer.Serialize(this, Json) + "\n");
    }
}

internal sealed class MachineInfo
{
    public int Cores { get; set; }

    public string CpuModel { get; set; } = "";

    public string Memory { get; set; } = "";

    public string Kernel { get; set; } = "";

    public string Os { get; set; } = "";

    public string Runtime { get; set; } = "";

    public string DotnetInfo { get; set; } = "";

    public string Wrk { get; set; } = "";

    public string H2load { get; set; } = "";
}

/// <summary>One scenario's figures.</summary>
internal sealed class ScenarioResult
{
    public string Name { get; set; } = "";

    public string Title { get; set; } = "";

    public DateTimeOffset RanAt { get; set; }

    public bool Quick { get; set; }

    /// <summary>The repository commit measured (short hash; "+ changes" when the library had uncommitted edits).</summary>
    public string? Commit { get; set; }

    /// <summary>How the figures were measured (tool and its arguments, runs).</summary>
    public string Method { get; set; } = "";

    public List<Metric> Metrics { get; set; } = [];

    public List<string> Notes { get; set; } = [];

    public List<ResultTable> Tables { get; set; } = [];

    /// <summary>Per-run raw figures, for whoever wants to look again.</summary>
    public JsonNode? Raw { get; set; }
}

/// <summary>A figure: median of the runs with their min–max, and its target when it has one.</summary>
internal sealed class Metric
{
    public string Label { get; set; } = "";

    public double Value { get; set; }

    public double? Min { get; set; }

    public double? Max { get; set; }

    /// <summary>ratio, ms, bytes, req/s, count, % ...</summary>
    public string Unit { get; set; } = "";

    /// <summary>&gt;= or &lt;= (or null: no target).</summary>
    public string? Comparison { get; set; }

    public double? Target { get; set; }

    /// <summary>The target as the issue words it, when the comparison alone does not say it.</summary>
    public string? TargetText { get; set; }

    /// <summary>A chart the figure goes on: "ratio" or "drain".</summary>
    public string? Chart { get; set; }

    /// <summary>Short label on the chart.</summary>
    public string? ChartLabel { get; set; }

    /// <summary>Set when the target is a condition the number alone does not decide (e.g. "none left open").</summary>
    public bool? MetOverride { get; set; }

    public int Runs { get; set; }

    [JsonIgnore]
    public bool? Met => MetOverride ?? (Comparison is null || Target is null
        ? null
        : Comparison switch
        {
            ">=" => Value >= Target,
            ">" => Value > Target,
            "<" => Value < Target,
            _ => Value <= Target,
        });

    public static Metric Of(string label, IReadOnlyList<double> runs, string unit) => new()
    {
        Label = label,
        Value = Stats.Median(runs),
        Min = runs.Count > 1 ? runs.Min() : null,
        Max = runs.Count > 1 ? runs.Max() : null,
        Unit = unit,
        Runs = runs.Count,
    };

    public Metric WithTarget(string comparison, double target, string? text = null)
    {
        Comparison = comparison;
        Target = target;
        TargetText = text;
        return this;
    }

    public Metric OnChart(string chart, string label)
    {
        Chart = chart;
        ChartLabel = label;
        return this;
    }

    public string Format(double v) => Unit switch
    {
        "ratio" => v.ToString("0.000", CultureInfo.InvariantCulture),
        "ms" => v.ToString(v < 10 ? "0.00" : v < 100 ? "0.0" : "#,0", CultureInfo.InvariantCulture),
        "req/s" => v.ToString("#,0", CultureInfo.InvariantCulture),
        "B" or "B/req" or "B/conn" => v.ToString(Math.Abs(v) < 10 ? "0.0" : "#,0", CultureInfo.InvariantCulture),
        "KiB" => v.ToString("0.0", CultureInfo.InvariantCulture),
        "%" => v.ToString("0.0", CultureInfo.InvariantCulture),
        _ => v.ToString("#,0.##", CultureInfo.InvariantCulture),
    };
}

internal sealed class ResultTable
{
    public string Title { get; set; } = "";

    public List<string> Headers { get; set; } = [];

    public List<List<string>> Rows { get; set; } = [];
}

internal static class Stats
{
    public static double Median(IReadOnlyList<double> values)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }

        var sorted = values.Order().ToArray();
        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    public static double Percentile(IReadOnlyList<double> values, double percentile)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }

        var sorted = values.Order().ToArray();
        var rank = (int)Math.Ceiling(percentile / 100.0 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }
}
