using System.Globalization;
using System.Net;
using System.Text;

namespace Roadrunner.Bench.LoadClient.Report;

/// <summary>
/// The chart of docs/benchmarks.md, written by hand as SVG: the overhead ratios (median as a dot, min–max as a
/// whisker, the target as a tick) and the drain timings (median as a bar, min–max whisker, target as a line).
/// </summary>
internal static class SvgChart
{
    private const int Width = 820;
    private const int LabelWidth = 250;
    private const int PlotLeft = LabelWidth + 20;
    private const int PlotRight = Width - 40;
    private const int RowHeight = 30;
    private const string Met = "#2e7d32";
    private const string Missed = "#c62828";
    private const string Neutral = "#455a64";

    public static string Render(ResultsFile results)
    {
        var ratios = Pick(results, "ratio");
        var drains = Pick(results, "drain");
        var svg = new StringBuilder();
        var y = 0;
        var body = new StringBuilder();

        y = Title(body, y, "Overhead: Roadrunner ÷ plain Kestrel (same process), median and min–max of the A/B pairs");
        y = RatioPanel(body, y, ratios);
        y += 16;
        y = Title(body, y, "Drain at scale: time from DrainAsync to its result, median and min–max");
        y = DrainPanel(body, y, drains);
        y += 28;
        Legend(body, y - 14);

        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{y}\" viewBox=\"0 0 {Width} {y}\" font-family=\"DejaVu Sans, Arial, sans-serif\" font-size=\"12\">\n");
        svg.Append(CultureInfo.InvariantCulture, $"<rect width=\"{Width}\" height=\"{y}\" fill=\"#ffffff\"/>\n");
        svg.Append(body);
        svg.Append("</svg>\n");
        return svg.ToString();
    }

    private static List<Metric> Pick(ResultsFile results, string chart) =>
        [.. ScenarioOrder.Names.Where(results.Scenarios.ContainsKey)
            .SelectMany(n => results.Scenarios[n].Metrics)
            .Where(m => m.Chart == chart && !double.IsNaN(m.Value))];

    private static int Title(StringBuilder svg, int y, string text)
    {
        y += 24;
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"12\" y=\"{y}\" font-size=\"14\" font-weight=\"bold\" fill=\"#212121\">{Esc(text)}</text>\n");
        return y + 10;
    }

    private static int RatioPanel(StringBuilder svg, int y, List<Metric> metrics)
    {
        if (metrics.Count == 0)
        {
            return Empty(svg, y);
        }

        // The axis spans the medians and targets with a margin, at most 0.70–1.30: whiskers reaching past it are
        // clipped and end in an arrow.
        var lo = Math.Max(0.70, Math.Min(0.85, metrics.Min(m => Math.Min(m.Min ?? m.Value, m.Target ?? 1)) - 0.02));
        var hi = Math.Min(1.30, Math.Max(1.15, metrics.Max(m => Math.Max(m.Max ?? m.Value, m.Target ?? 1)) + 0.02));
        lo = Math.Floor(Math.Min(lo, metrics.Min(m => m.Value) - 0.02) * 20) / 20;
        hi = Math.Ceiling(Math.Max(hi, metrics.Max(m => m.Value) + 0.02) * 20) / 20;
        double X(double v) => PlotLeft + ((v - lo) / (hi - lo) * (PlotRight - PlotLeft));

        y += 8;
        var top = y;
        var bottom = y + (metrics.Count * RowHeight);
        Axis(svg, top, bottom, lo, hi, 0.05, X, v => v.ToString("0.00", CultureInfo.InvariantCulture));
        svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{X(1):0.#}\" y1=\"{top}\" x2=\"{X(1):0.#}\" y2=\"{bottom}\" stroke=\"#9e9e9e\" stroke-width=\"1.5\"/>\n");
        foreach (var m in metrics)
        {
            var cy = y + (RowHeight / 2);
            var color = m.Met switch { true => Met, false => Missed, _ => Neutral };
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{LabelWidth}\" y=\"{cy + 4}\" text-anchor=\"end\" fill=\"#212121\">{Esc(m.ChartLabel ?? m.Label)}</text>\n");
            if (m.Min is { } min && m.Max is { } max)
            {
                var left = X(Math.Max(min, lo));
                var right = X(Math.Min(max, hi));
                svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{left:0.#}\" y1=\"{cy}\" x2=\"{right:0.#}\" y2=\"{cy}\" stroke=\"{color}\" stroke-width=\"2\"><title>min {min:0.000}, max {max:0.000}</title></line>\n");
                svg.Append(min < lo
                    ? FormattableString.Invariant($"<path d=\"M{left:0.#},{cy} l6,-4 v8 z\" fill=\"{color}\"/>\n")
                    : FormattableString.Invariant($"<line x1=\"{left:0.#}\" y1=\"{cy - 5}\" x2=\"{left:0.#}\" y2=\"{cy + 5}\" stroke=\"{color}\" stroke-width=\"2\"/>\n"));
                svg.Append(max > hi
                    ? FormattableString.Invariant($"<path d=\"M{right:0.#},{cy} l-6,-4 v8 z\" fill=\"{color}\"/>\n")
                    : FormattableString.Invariant($"<line x1=\"{right:0.#}\" y1=\"{cy - 5}\" x2=\"{right:0.#}\" y2=\"{cy + 5}\" stroke=\"{color}\" stroke-width=\"2\"/>\n"));
            }

            if (m.Target is { } target)
            {
                svg.Append(CultureInfo.InvariantCulture, $"<path d=\"M{X(target):0.#},{cy - 7} l-5,-7 h10 z\" fill=\"#000000\"><title>target {Esc(m.Comparison ?? "")} {target:0.00}</title></path>\n");
            }

            svg.Append(CultureInfo.InvariantCulture, $"<circle cx=\"{X(m.Value):0.#}\" cy=\"{cy}\" r=\"5.5\" fill=\"{color}\"/>\n");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{X(m.Value):0.#}\" y=\"{cy + 16}\" text-anchor=\"middle\" font-size=\"10\" fill=\"{color}\">{m.Value:0.000}</text>\n");
            y += RowHeight;
        }

        return bottom + 18;
    }

    private static int DrainPanel(StringBuilder svg, int y, List<Metric> metrics)
    {
        if (metrics.Count == 0)
        {
            return Empty(svg, y);
        }

        var hi = metrics.Max(m => Math.Max(m.Max ?? m.Value, m.Target ?? 0)) * 1.1;
        var step = hi > 2000 ? 500 : hi > 800 ? 200 : 100;
        hi = Math.Ceiling(hi / step) * step;
        double X(double v) => PlotLeft + (v / hi * (PlotRight - PlotLeft));

        var top = y;
        var bottom = y + (metrics.Count * RowHeight);
        Axis(svg, top, bottom, 0, hi, step, X, v => $"{v:0} ms");
        foreach (var m in metrics)
        {
            var cy = y + (RowHeight / 2);
            var color = m.Met switch { true => Met, false => Missed, _ => Neutral };
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{LabelWidth}\" y=\"{cy + 4}\" text-anchor=\"end\" fill=\"#212121\">{Esc(m.ChartLabel ?? m.Label)}</text>\n");
            svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{PlotLeft}\" y=\"{cy - 8}\" width=\"{X(m.Value) - PlotLeft:0.#}\" height=\"16\" fill=\"{color}\" fill-opacity=\"0.75\"/>\n");
            if (m.Min is { } min && m.Max is { } max)
            {
                svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{X(min):0.#}\" y1=\"{cy}\" x2=\"{X(max):0.#}\" y2=\"{cy}\" stroke=\"#212121\" stroke-width=\"1.5\"/>\n");
                svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{X(min):0.#}\" y1=\"{cy - 4}\" x2=\"{X(min):0.#}\" y2=\"{cy + 4}\" stroke=\"#212121\" stroke-width=\"1.5\"/>\n");
                svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{X(max):0.#}\" y1=\"{cy - 4}\" x2=\"{X(max):0.#}\" y2=\"{cy + 4}\" stroke=\"#212121\" stroke-width=\"1.5\"/>\n");
            }

            if (m.Target is { } target)
            {
                svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{X(target):0.#}\" y1=\"{cy - 12}\" x2=\"{X(target):0.#}\" y2=\"{cy + 12}\" stroke=\"#000000\" stroke-width=\"2\" stroke-dasharray=\"4,2\"><title>target {Esc(m.TargetText ?? target.ToString(CultureInfo.InvariantCulture))}</title></line>\n");
            }

            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Math.Max(X(m.Max ?? m.Value), X(m.Target ?? 0)) + 6:0.#}\" y=\"{cy + 4}\" font-size=\"11\" fill=\"{color}\">{m.Value:0} ms</text>\n");
            y += RowHeight;
        }

        return bottom + 18;
    }

    private static void Axis(StringBuilder svg, int top, int bottom, double lo, double hi, double step, Func<double, double> x, Func<double, string> label)
    {
        for (var v = lo; v <= hi + 1e-9; v += step)
        {
            var px = x(v);
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{px:0.#}\" y1=\"{top}\" x2=\"{px:0.#}\" y2=\"{bottom}\" stroke=\"#eeeeee\"/>\n");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{px:0.#}\" y=\"{bottom + 13}\" text-anchor=\"middle\" font-size=\"10\" fill=\"#616161\">{Esc(label(v))}</text>\n");
        }
    }

    private static void Legend(StringBuilder svg, int y)
    {
        svg.Append(CultureInfo.InvariantCulture, $"<circle cx=\"20\" cy=\"{y}\" r=\"5\" fill=\"{Met}\"/><text x=\"30\" y=\"{y + 4}\" fill=\"#212121\">target met</text>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<circle cx=\"120\" cy=\"{y}\" r=\"5\" fill=\"{Missed}\"/><text x=\"130\" y=\"{y + 4}\" fill=\"#212121\">target missed</text>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<path d=\"M240,{y + 3} l-5,-6 h10 z\" fill=\"#000000\"/><text x=\"250\" y=\"{y + 4}\" fill=\"#212121\">ratio target</text>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"345\" y1=\"{y - 7}\" x2=\"345\" y2=\"{y + 7}\" stroke=\"#000000\" stroke-width=\"2\" stroke-dasharray=\"4,2\"/><text x=\"352\" y=\"{y + 4}\" fill=\"#212121\">time target</text>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<circle cx=\"452\" cy=\"{y}\" r=\"5\" fill=\"{Neutral}\"/><text x=\"462\" y=\"{y + 4}\" fill=\"#212121\">no target</text>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"545\" y=\"{y + 4}\" fill=\"#616161\">whiskers: min–max over the runs</text>\n");
    }

    private static int Empty(StringBuilder svg, int y)
    {
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{PlotLeft}\" y=\"{y + 16}\" fill=\"#757575\">not run yet</text>\n");
        return y + 30;
    }

    private static string Esc(string text) => WebUtility.HtmlEncode(text);
}
