using System.Globalization;

namespace Roadrunner.Fleet;

/// <summary>The measured figures of one configuration (results.json).</summary>
internal sealed record ConfigResult
{
    public required string Id { get; init; }

    public required string Title { get; init; }

    public required bool Targeted { get; init; }

    public required double ShutdownDelaySeconds { get; init; }

    public required double DrainSpreadSeconds { get; init; }

    public required double DurationSeconds { get; init; }

    public required HttpFigures Http { get; init; }

    public required WebSocketFigures WebSockets { get; init; }

    public required SseFigures Sse { get; init; }

    public required IReadOnlyList<RestartFigures> Restarts { get; init; }

    public required IReadOnlyList<TargetCheck> Targets { get; init; }

    public required Series Series { get; init; }

    public bool AllTargetsMet => Targets.All(t => t.Met);
}

internal sealed record HttpFigures(long Ok, long Failed, double RequestsPerSecond, IReadOnlyDictionary<string, int> FailuresByKind, IReadOnlyDictionary<string, int> OkByInstance);

internal sealed record WebSocketFigures(int Opened, int Reconnects, int FailedAttempts, int ConnectsAfterRetry, IReadOnlyDictionary<string, int> ClosesByCode, IReadOnlyList<string> FailureSamples);

internal sealed record SseFigures(int Started, int EndedWithDrain, int EndedWithoutDrain, int Broken, int FailedStarts, IReadOnlyList<string> FailureSamples);

/// <summary>
/// One SIGTERM: exit code and times, the HTTP failures from SIGTERM until the instance was back, and how its
/// WebSocket reconnects were spread: the largest share of them in any 100 ms window (sliding, and on a 100 ms grid
/// from the first close).
/// </summary>
internal sealed record RestartFigures(
    int Round,
    int Instance,
    int Pid,
    int? ExitCode,
    double? ExitMs,
    double? RemovedMs,
    double ReadyMs,
    int HttpFailures,
    int WebSocketCloses,
    double? CloseSpanMs,
    double? MaxShareSliding,
    double? MaxShareGrid);

internal sealed record TargetCheck(string Name, bool Met, string Measured);

/// <summary>Counts per 100 ms bin from the start of the load, and the orchestration markers.</summary>
internal sealed record Series(double BinMs, int[] HttpOk, int[] HttpFailed, int[] WsReconnects, int[] WsFailedAttempts, int[] SseRestarts, IReadOnlyList<MarkerPoint> Markers);

internal sealed record MarkerPoint(double Ms, int Instance, string What, int Code);

/// <summary>Turns a configuration's timeline into its figures and checks the targets.</summary>
internal static class Analysis
{
    public const double WindowMs = 100;
    public const double MaxWindowShare = 0.10;

    public static ConfigResult Summarize(FleetSettings settings, Configuration configuration, IReadOnlyList<FleetEvent> events, IReadOnlyList<RestartRecord> restarts, double loadStart)
    {
        var loadEnd = events.LastOrDefault(e => e.Kind == EventKind.Marker && e.Detail == "clients stopped").T;
        var of = events.ToLookup(e => e.Kind);

        var httpFailed = of[EventKind.HttpFailed].ToList();
        var http = new HttpFigures(
            of[EventKind.HttpOk].LongCount(),
            httpFailed.Count,
            of[EventKind.HttpOk].Count() / Math.Max(0.001, (loadEnd - loadStart) / 1000),
            httpFailed.GroupBy(e => Kind(e) is var kind && e.Server > 0 && kind.StartsWith("HTTP", StringComparison.Ordinal) ? $"{kind} (from srv{e.Server})" : kind)
                .OrderByDescending(g => g.Count()).ToDictionary(g => g.Key, g => g.Count()),
            of[EventKind.HttpOk].GroupBy(e => e.Server == 0 ? "unknown" : $"srv{e.Server}").OrderBy(g => g.Key).ToDictionary(g => g.Key, g => g.Count()));

        var wsFailed = of[EventKind.WsConnectFailed].ToList();
        var ws = new WebSocketFigures(
            of[EventKind.WsConnected].Count(e => e.Code == 0),
            of[EventKind.WsConnected].Count(e => e.Code == 1),
            wsFailed.Count,
            of[EventKind.WsConnected].Count(e => e.Detail is not null),
            of[EventKind.WsClosed].GroupBy(e => e.Code < 0 ? "none (connection cut)" : e.Code.ToString(CultureInfo.InvariantCulture))
                .OrderByDescending(g => g.Count()).ToDictionary(g => g.Key, g => g.Count()),
            [.. wsFailed.Select(e => e.Detail ?? "?").GroupBy(d => d).OrderByDescending(g => g.Count()).Take(3).Select(g => $"{g.Count()}× {g.Key}")]);

        var sseEnded = of[EventKind.SseEnded].ToList();
        var sseFailed = of[EventKind.SseConnectFailed].ToList();
        var sse = new SseFigures(
            of[EventKind.SseStarted].Count(),
            sseEnded.Count(e => e.Detail == "drain"),
            sseEnded.Count(e => e.Detail == "no-drain"),
            sseEnded.Count(e => e.Detail == "broken"),
            sseFailed.Count,
            [.. sseFailed.Select(e => e.Detail ?? "?").GroupBy(d => d).OrderByDescending(g => g.Count()).Take(3).Select(g => $"{g.Count()}× {g.Key}")]);

        var restartFigures = restarts.Select(r => Restart(r, events)).ToList();
        var result = new ConfigResult
        {
            Id = configuration.Id,
            Title = configuration.Title,
            Targeted = configuration.IsTargeted,
            ShutdownDelaySeconds = configuration.ShutdownDelay.TotalSeconds,
            DrainSpreadSeconds = configuration.DrainSpread.TotalSeconds,
            DurationSeconds = Math.Round((loadEnd - loadStart) / 1000, 1),
            Http = http,
            WebSockets = ws,
            Sse = sse,
            Restarts = restartFigures,
            Targets = Targets(configuration, settings, http, ws, sse, restartFigures),
            Series = Bins(events, loadStart, loadEnd),
        };
        return result;
    }

    /// <summary>An HTTP failure's kind: its detail without the client port that follows the bar.</summary>
    private static string Kind(FleetEvent e) => e.Detail is { } d && d.IndexOf('|', StringComparison.Ordinal) is var bar and >= 0 ? d[..bar] : e.Detail ?? "?";

    private static List<TargetCheck> Targets(Configuration configuration, FleetSettings settings, HttpFigures http, WebSocketFigures ws, SseFigures sse, List<RestartFigures> restarts)
    {
        var closes = ws.ClosesByCode.Values.Sum();
        var closes1001 = ws.ClosesByCode.GetValueOrDefault("1001");
        var sseEnds = sse.EndedWithDrain + sse.EndedWithoutDrain + sse.Broken;
        var expectedRestarts = settings.Rounds * settings.Instances;
        var zeroExits = restarts.Count(r => r.ExitCode == 0);
        var targets = new List<TargetCheck>
        {
            new("0 failed HTTP requests", http.Failed == 0, $"{http.Failed} of {http.Ok + http.Failed}"),
            new("every WebSocket close is 1001", closes > 0 && closes1001 == closes, $"{closes1001} of {closes}"),
            new("every SSE stream ends with the drain event", sseEnds > 0 && sse.EndedWithDrain == sseEnds, $"{sse.EndedWithDrain} of {sseEnds}"),
            new("every reconnect succeeds", ws.FailedAttempts == 0 && sse.FailedStarts == 0, $"{ws.FailedAttempts} WebSocket + {sse.FailedStarts} SSE failed attempts"),
            new("every instance exits 0", restarts.Count == expectedRestarts && zeroExits == expectedRestarts, $"{zeroExits} of {expectedRestarts}"),
        };
        if (configuration.DrainSpread > TimeSpan.Zero)
        {
            var worst = restarts.Where(r => r.MaxShareSliding is not null).Select(r => r.MaxShareSliding!.Value).DefaultIfEmpty(1).Max();
            targets.Add(new(
                "no 100 ms window holds > 10 % of an instance's WebSocket reconnects",
                worst <= MaxWindowShare,
                $"worst {worst:P1} (sliding window)"));
        }

        return targets;
    }

    private static RestartFigures Restart(RestartRecord r, IReadOnlyList<FleetEvent> events)
    {
        // Attributed to this SIGTERM: its instance's closes from the signal until a second after the exit.
        var until = (r.ExitAt ?? r.ReadyAt) + 1000;
        var closes = events
            .Where(e => e.Kind == EventKind.WsClosed && e.Server == r.Instance && e.T >= r.TermAt && e.T <= until)
            .Select(e => e.T)
            .Order()
            .ToArray();
        var failures = events.Count(e => e.Kind == EventKind.HttpFailed && e.T >= r.TermAt && e.T <= r.BackAt);
        return new RestartFigures(
            r.Round,
            r.Instance,
            r.Pid,
            r.ExitCode,
            r.ExitAt is { } exit ? Math.Round(exit - r.TermAt) : null,
            r.RemovedAt is { } removed ? Math.Round(removed - r.TermAt) : null,
            Math.Round(r.ReadyAt - r.TermAt),
            failures,
            closes.Length,
            closes.Length > 0 ? Math.Round(closes[^1] - closes[0]) : null,
            closes.Length > 0 ? (double)MaxInSlidingWindow(closes, WindowMs) / closes.Length : null,
            closes.Length > 0 ? (double)MaxInGrid(closes, WindowMs) / closes.Length : null);
    }

    /// <summary>The most times that fall in any half-open window [t, t + width) of the sorted <paramref name="times"/>.</summary>
    internal static int MaxInSlidingWindow(double[] times, double width)
    {
        var best = 0;
        for (int start = 0, end = 0; start < times.Length; start++)
        {
            while (end < times.Length && times[end] < times[start] + width)
            {
                end++;
            }

            best = Math.Max(best, end - start);
        }

        return best;
    }

    /// <summary>The most times in one bin of a grid of <paramref name="width"/> starting at the first time.</summary>
    internal static int MaxInGrid(double[] times, double width) =>
        times.GroupBy(t => (int)((t - times[0]) / width)).Max(g => g.Count());

    private static Series Bins(IReadOnlyList<FleetEvent> events, double start, double end)
    {
        var count = Math.Max(1, (int)Math.Ceiling((end - start) / WindowMs));
        int[] New() => new int[count];
        var ok = New();
        var failed = New();
        var reconnects = New();
        var wsFailed = New();
        var sse = New();
        foreach (var e in events)
        {
            var bin = (int)((e.T - start) / WindowMs);
            if (bin < 0 || bin >= count)
            {
                continue;
            }

            var target = e.Kind switch
            {
                EventKind.HttpOk => ok,
                EventKind.HttpFailed => failed,
                EventKind.WsConnected when e.Code == 1 => reconnects,
                EventKind.WsConnectFailed => wsFailed,
                EventKind.SseStarted when e.Code == 1 => sse,
                _ => null,
            };
            if (target is not null)
            {
                target[bin]++;
            }
        }

        var markers = events.Where(e => e.Kind == EventKind.Marker && e.Server > 0 && e.T >= start)
            .Select(e => new MarkerPoint(Math.Round(e.T - start), e.Server, e.Detail!, e.Code))
            .ToList();
        return new Series(WindowMs, ok, failed, reconnects, wsFailed, sse, markers);
    }
}
