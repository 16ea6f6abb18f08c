using System.Globalization;
using System.Net;
using System.Text;

namespace Roadrunner.Fleet;

/// <summary>The run as Markdown (the measured section of docs/rollouts.md) and as an SVG chart written by hand.</summary>
internal static class Report
{
    public const string BeginMarker = "<!-- fleet:results:begin -->";
    public const string EndMarker = "<!-- fleet:results:end -->";

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string Markdown(RunInfo run, IReadOnlyList<ConfigResult> results)
    {
        var md = new StringBuilder();
        md.AppendLine(Inv, $"Measured {run.Date:yyyy-MM-dd} with `{run.Command}` on {run.Machine}; {run.Rounds} round(s) of {run.Instances} restarts per configuration, {run.Load}; whole run {run.Elapsed.TotalMinutes:0.0} min.");
        md.AppendLine();
        md.Append("| | ");
        md.AppendJoin(" | ", results.Select(r => $"**{r.Id}**{(r.Targeted ? " (targets)" : "")}"));
        md.AppendLine(" |");
        md.Append("|---|");
        md.AppendJoin("", results.Select(_ => "---|"));
        md.AppendLine();
        Row("balancer", r => r.Id.StartsWith('a') ? "readyz checks, retries 3 + redispatch" : "removed 1 s after SIGTERM, retries 0");
        Row("ShutdownDelay / DrainSpread", r => $"{r.ShutdownDelaySeconds:0} s / {r.DrainSpreadSeconds:0} s");
        Row("HTTP requests OK", r => $"{r.Http.Ok:N0} ({r.Http.RequestsPerSecond:0} req/s)");
        Row("**HTTP requests failed**", r => Bold(r, r.Http.Failed == 0, r.Http.Failed.ToString("N0", Inv)));
        Row("failure kinds", r => r.Http.FailuresByKind.Count == 0 ? "–" : string.Join("; ", r.Http.FailuresByKind.Select(k => $"{k.Value}× {k.Key}")));
        Row("**WebSocket closes by code**", r => Bold(r, r.WebSockets.ClosesByCode.Keys.All(k => k == "1001"),
            r.WebSockets.ClosesByCode.Count == 0 ? "–" : string.Join(", ", r.WebSockets.ClosesByCode.Select(k => $"{k.Key}: {k.Value:N0}"))));
        Row("WebSocket reconnects OK", r => r.WebSockets.Reconnects.ToString("N0", Inv));
        Row("**failed reconnect attempts** (WebSocket + SSE)", r => Bold(r, r.WebSockets.FailedAttempts + r.Sse.FailedStarts == 0,
            $"{r.WebSockets.FailedAttempts:N0} + {r.Sse.FailedStarts:N0}") +
            (r.WebSockets.ConnectsAfterRetry > 0 ? $" ({r.WebSockets.ConnectsAfterRetry} WebSockets needed retries)" : ""));
        Row("**SSE streams ended**: with drain event / without / cut", r => Bold(r, r.Sse.EndedWithoutDrain + r.Sse.Broken == 0,
            $"{r.Sse.EndedWithDrain:N0} / {r.Sse.EndedWithoutDrain:N0} / {r.Sse.Broken:N0}"));
        Row("**instance exit codes**", r => Bold(r, r.Restarts.All(x => x.ExitCode == 0),
            string.Join(", ", r.Restarts.GroupBy(x => x.ExitCode?.ToString(Inv) ?? "killed").Select(g => $"{g.Key} ×{g.Count()}"))));
        Row("SIGTERM → exit, median / max", r => Range(r.Restarts.Where(x => x.ExitMs is not null).Select(x => x.ExitMs!.Value)));
        Row("WebSocket closes per SIGTERM, min–max", r => r.Restarts.Count == 0 ? "–" : $"{r.Restarts.Min(x => x.WebSocketCloses)}–{r.Restarts.Max(x => x.WebSocketCloses)}");
        Row("first → last close of one instance, median", r => Median(r.Restarts.Where(x => x.CloseSpanMs is not null).Select(x => x.CloseSpanMs!.Value)) is { } m ? $"{m:0} ms" : "–");
        Row("**largest share of an instance's WebSocket reconnects in one 100 ms window**: worst (median) sliding / on a grid", r =>
        {
            var sliding = r.Restarts.Where(x => x.MaxShareSliding is not null).Select(x => x.MaxShareSliding!.Value).ToList();
            var grid = r.Restarts.Where(x => x.MaxShareGrid is not null).Select(x => x.MaxShareGrid!.Value).ToList();
            if (sliding.Count == 0)
            {
                return "–";
            }

            var text = $"{sliding.Max():P0} ({Median(sliding):P0}) / {grid.Max():P0} ({Median(grid):P0})";
            return r.DrainSpreadSeconds > 0 ? Bold(r, sliding.Max() <= Analysis.MaxWindowShare, text) : text;
        });
        Row("targets", r => r.Targeted
            ? r.AllTargetsMet ? "all met" : "missed: " + string.Join("; ", r.Targets.Where(t => !t.Met).Select(t => $"{t.Name} ({t.Measured})"))
            : "not a target run");
        md.AppendLine();
        md.AppendLine("Bold rows are the targets, judged ✓ met / ✗ missed in the target columns only (a-on, b-on); the -off columns show the same figures without the options.");
        md.AppendLine();
        md.AppendLine("<details><summary>Every SIGTERM</summary>");
        md.AppendLine();
        md.AppendLine("| run | round | instance | exit code | SIGTERM → exit | → removed | → ready | HTTP failures until back | WebSocket closes | first → last close | max share in 100 ms: sliding / grid |");
        md.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var r in results)
        {
            foreach (var x in r.Restarts)
            {
                md.AppendLine(Inv, $"| {r.Id} | {x.Round} | srv{x.Instance} | {x.ExitCode?.ToString(Inv) ?? "killed"} | {Ms(x.ExitMs)} | {Ms(x.RemovedMs)} | {Ms(x.ReadyMs)} | {x.HttpFailures} | {x.WebSocketCloses} | {Ms(x.CloseSpanMs)} | {Pct(x.MaxShareSliding)} / {Pct(x.MaxShareGrid)} |");
            }
        }

        md.AppendLine();
        md.AppendLine("</details>");
        return md.ToString();

        void Row(string label, Func<ConfigResult, string> cell)
        {
            md.Append(Inv, $"| {label} | ");
            md.AppendJoin(" | ", results.Select(r => cell(r).Replace("|", "\\|", StringComparison.Ordinal)));
            md.AppendLine(" |");
        }

        // Targets are judged (✓/✗) only in the columns they apply to.
        static string Bold(ConfigResult r, bool met, string text) => r.Targeted ? $"{text} {(met ? "✓" : "✗")}" : text;
    }

    /// <summary>Replaces the text between the markers of <paramref name="path"/> (which must hold them) with <paramref name="section"/>.</summary>
    public static void ReplaceSection(string path, string section)
    {
        var text = File.ReadAllText(path);
        var begin = text.IndexOf(BeginMarker, StringComparison.Ordinal);
        var end = text.IndexOf(EndMarker, StringComparison.Ordinal);
        if (begin < 0 || end < begin)
        {
            throw new InvalidOperationException($"{path} has no {BeginMarker} ... {EndMarker} section.");
        }

        File.WriteAllText(path, string.Concat(text.AsSpan(0, begin + BeginMarker.Length), "\n", section, text.AsSpan(end)));
    }

    private static string Range(IEnumerable<double> values)
    {
        var list = values.ToList();
        return list.Count == 0 ? "–" : $"{Median(list):0} ms / {list.Max():0} ms";
    }

    private static double? Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count == 0 ? null : sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static string Ms(double? value) => value is { } v ? $"{v:0} ms" : "–";

    private static string Pct(double? value) => value is { } v ? v.ToString("P0", Inv) : "–";

    // The chart: one panel per configuration, HTTP over time on top, reconnects per 100 ms below, SIGTERMs marked.
    private const int Width = 960;
    private const int Left = 60;
    private const int Right = Width - 20;
    private const int HttpHeight = 90;
    private const int ReconnectHeight = 90;
    private const int PanelHeight = 40 + HttpHeight + 18 + ReconnectHeight + 40;
    private const string Ok = "#1565c0";
    private const string Fail = "#c62828";
    private const string Ws = "#2e7d32";
    private const string Sse = "#6a1b9a";

    public static string Svg(IReadOnlyList<ConfigResult> results)
    {
        var height = (PanelHeight * results.Count) + 40;
        var svg = new StringBuilder();
        svg.Append(Inv, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{height}\" viewBox=\"0 0 {Width} {height}\" font-family=\"DejaVu Sans, Arial, sans-serif\" font-size=\"11\">\n");
        svg.Append(Inv, $"<rect width=\"{Width}\" height=\"{height}\" fill=\"#ffffff\"/>\n");
        var seconds = Math.Ceiling(results.Max(r => r.Series.HttpOk.Length * r.Series.BinMs / 1000));
        var y = 0;
        foreach (var r in results)
        {
            Panel(svg, r, y, seconds);
            y += PanelHeight;
        }

        Legend(svg, y + 14);
        svg.Append("</svg>\n");
        return svg.ToString();
    }

    private static void Panel(StringBuilder svg, ConfigResult r, int top, double seconds)
    {
        double X(double ms) => Left + (ms / 1000 / seconds * (Right - Left));
        var s = r.Series;
        svg.Append(Inv, $"<text x=\"10\" y=\"{top + 22}\" font-size=\"13\" font-weight=\"bold\" fill=\"#212121\">{Esc($"{r.Id}: {r.Title}")}</text>\n");
        svg.Append(Inv, $"<text x=\"{Right}\" y=\"{top + 22}\" text-anchor=\"end\" fill=\"{(r.Http.Failed == 0 ? "#212121" : Fail)}\">{Esc($"{r.Http.Failed} failed HTTP, {r.WebSockets.FailedAttempts + r.Sse.FailedStarts} failed reconnects")}</text>\n");

        // HTTP: successful requests per second over 500 ms, failures per 100 ms as red bars on the same axis (×10 = per second).
        var httpTop = top + 34;
        var httpBottom = httpTop + HttpHeight;
        const int per = 5;
        var okRate = Enumerable.Range(0, (s.HttpOk.Length + per - 1) / per)
            .Select(i => s.HttpOk.Skip(i * per).Take(per).Sum() * 1000.0 / (per * s.BinMs)).ToArray();
        var failRate = s.HttpFailed.Select(f => f * 1000.0 / s.BinMs).ToArray();
        var httpMax = NiceCeiling(Math.Max(okRate.DefaultIfEmpty(0).Max(), failRate.DefaultIfEmpty(0).Max()) * 1.1);
        double YHttp(double v) => httpBottom - (v / httpMax * HttpHeight);
        Frame(svg, httpTop, httpBottom, httpMax, "req/s");
        for (var i = 0; i < failRate.Length; i++)
        {
            if (failRate[i] > 0)
            {
                svg.Append(Inv, $"<rect x=\"{X(i * s.BinMs):0.#}\" y=\"{YHttp(failRate[i]):0.#}\" width=\"{Math.Max(1.5, X(s.BinMs) - X(0)):0.#}\" height=\"{httpBottom - YHttp(failRate[i]):0.#}\" fill=\"{Fail}\"><title>{s.HttpFailed[i]} failed</title></rect>\n");
            }
        }

        svg.Append(Inv, $"<polyline fill=\"none\" stroke=\"{Ok}\" stroke-width=\"1.5\" points=\"{string.Join(' ', okRate.Select((v, i) => FormattableString.Invariant($"{X((i + 0.5) * per * s.BinMs):0.#},{YHttp(v):0.#}")))}\"/>\n");

        // Reconnects per 100 ms: WebSocket (green), SSE (purple), failed attempts (red, below the axis line).
        var wsTop = httpBottom + 18;
        var wsBottom = wsTop + ReconnectHeight;
        var wsMax = NiceCeiling(Math.Max(1, Math.Max(s.WsReconnects.DefaultIfEmpty(0).Max(), Math.Max(s.SseRestarts.DefaultIfEmpty(0).Max(), s.WsFailedAttempts.DefaultIfEmpty(0).Max()))) * 1.1);
        double YWs(double v) => wsBottom - (v / wsMax * ReconnectHeight);
        Frame(svg, wsTop, wsBottom, wsMax, "per 100 ms");
        var w = Math.Max(1.2, X(s.BinMs) - X(0));
        for (var i = 0; i < s.WsReconnects.Length; i++)
        {
            Bar(s.WsReconnects[i], 0, Ws, "WebSocket reconnects");
            Bar(s.SseRestarts[i], w / 2, Sse, "SSE restarts");
            Bar(s.WsFailedAttempts[i], w / 4, Fail, "failed WebSocket attempts");

            void Bar(int value, double offset, string color, string what)
            {
                if (value > 0)
                {
                    svg.Append(Inv, $"<rect x=\"{X(i * s.BinMs) + offset:0.#}\" y=\"{YWs(value):0.#}\" width=\"{w / 2:0.##}\" height=\"{wsBottom - YWs(value):0.#}\" fill=\"{color}\"><title>{value} {what}</title></rect>\n");
                }
            }
        }

        // Markers: SIGTERM (black dashed, labelled), exit (grey), back in the balancer (green dotted).
        foreach (var m in s.Markers)
        {
            var (color, dash, label) = m.What switch
            {
                "SIGTERM" => ("#212121", "4,3", $"srv{m.Instance}"),
                "exited" => ("#9e9e9e", "", null),
                "back in the balancer" => (Ws, "2,2", null),
                _ => (null, "", null),
            };
            if (color is null)
            {
                continue;
            }

            svg.Append(Inv, $"<line x1=\"{X(m.Ms):0.#}\" y1=\"{httpTop}\" x2=\"{X(m.Ms):0.#}\" y2=\"{wsBottom}\" stroke=\"{color}\" stroke-width=\"1\"{(dash.Length > 0 ? $" stroke-dasharray=\"{dash}\"" : "")}><title>{Esc($"srv{m.Instance} {m.What} at {m.Ms / 1000:0.00} s")}</title></line>\n");
            if (label is not null)
            {
                svg.Append(Inv, $"<text x=\"{X(m.Ms) + 2:0.#}\" y=\"{httpTop + 9}\" font-size=\"9\" fill=\"{color}\">{label}</text>\n");
            }
        }

        for (var t = 0; t <= seconds; t += seconds > 60 ? 10 : 5)
        {
            svg.Append(Inv, $"<text x=\"{X(t * 1000):0.#}\" y=\"{wsBottom + 13}\" text-anchor=\"middle\" font-size=\"9\" fill=\"#616161\">{t} s</text>\n");
        }
    }

    private static void Frame(StringBuilder svg, int top, int bottom, double max, string unit)
    {
        svg.Append(Inv, $"<rect x=\"{Left}\" y=\"{top}\" width=\"{Right - Left}\" height=\"{bottom - top}\" fill=\"#fafafa\" stroke=\"#e0e0e0\"/>\n");
        svg.Append(Inv, $"<text x=\"{Left - 4}\" y=\"{top + 8}\" text-anchor=\"end\" font-size=\"9\" fill=\"#616161\">{max:0}</text>\n");
        svg.Append(Inv, $"<text x=\"{Left - 4}\" y=\"{bottom}\" text-anchor=\"end\" font-size=\"9\" fill=\"#616161\">0</text>\n");
        svg.Append(Inv, $"<text x=\"{Left - 4}\" y=\"{((top + bottom) / 2) + 3}\" text-anchor=\"end\" font-size=\"9\" fill=\"#616161\">{unit}</text>\n");
    }

    private static void Legend(StringBuilder svg, int y)
    {
        var items = new (string Color, string Text, bool Line)[]
        {
            (Ok, "HTTP OK, req/s (500 ms)", true),
            (Fail, "failed HTTP, per s (100 ms) / failed reconnect attempts", false),
            (Ws, "WebSocket reconnects per 100 ms", false),
            (Sse, "SSE restarts per 100 ms", false),
        };
        var x = 12;
        foreach (var (color, text, line) in items)
        {
            svg.Append(line
                ? FormattableString.Invariant($"<line x1=\"{x}\" y1=\"{y - 4}\" x2=\"{x + 14}\" y2=\"{y - 4}\" stroke=\"{color}\" stroke-width=\"2\"/>")
                : FormattableString.Invariant($"<rect x=\"{x}\" y=\"{y - 9}\" width=\"12\" height=\"10\" fill=\"{color}\"/>"));
            svg.Append(Inv, $"<text x=\"{x + 18}\" y=\"{y}\" fill=\"#212121\">{Esc(text)}</text>\n");
            x += 30 + (text.Length * 6);
        }

        svg.Append(Inv, $"<text x=\"12\" y=\"{y + 16}\" fill=\"#616161\">{Esc("dashed: SIGTERM of srvN · grey: its exit · green dotted: back in the balancer")}</text>\n");
    }

    private static double NiceCeiling(double value)
    {
        if (value <= 0)
        {
            return 1;
        }

        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(value)));
        var scaled = value / magnitude;
        return (scaled <= 1 ? 1 : scaled <= 2 ? 2 : scaled <= 5 ? 5 : 10) * magnitude;
    }

    private static string Esc(string text) => WebUtility.HtmlEncode(text);
}

/// <summary>How the run was made, for the report's first line.</summary>
internal sealed record RunInfo(DateTimeOffset Date, string Command, string Machine, int Rounds, int Instances, string Load, TimeSpan Elapsed);
