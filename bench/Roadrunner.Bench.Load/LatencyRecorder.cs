using System.Diagnostics;

namespace Roadrunner.Bench.Load;

/// <summary>Latency percentiles in milliseconds.</summary>
/// <param name="Count">Samples.</param>
/// <param name="P50Ms">Median.</param>
/// <param name="P90Ms">90th percentile.</param>
/// <param name="P99Ms">99th percentile.</param>
/// <param name="MaxMs">Largest sample.</param>
public sealed record LatencySummary(long Count, double P50Ms, double P90Ms, double P99Ms, double MaxMs)
{
    /// <summary>No samples.</summary>
    public static LatencySummary Empty { get; } = new(0, 0, 0, 0, 0);

    /// <summary>Percentiles (nearest rank) of the given durations.</summary>
    public static LatencySummary Of(IEnumerable<TimeSpan> samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        var recorder = new LatencyRecorder();
        foreach (var sample in samples)
        {
            recorder.Record(sample);
        }

        return LatencyRecorder.Merge([recorder]);
    }
}

/// <summary>Collects latencies of one worker (not thread-safe); merged into a <see cref="LatencySummary"/> at the end.</summary>
public sealed class LatencyRecorder
{
    private readonly List<long> _ticks = [];

    /// <summary>Adds one sample.</summary>
    public void Record(TimeSpan elapsed) => _ticks.Add(elapsed.Ticks);

    /// <summary>Percentiles over all recorders' samples.</summary>
    public static LatencySummary Merge(IReadOnlyCollection<LatencyRecorder> recorders)
    {
        ArgumentNullException.ThrowIfNull(recorders);
        var all = new long[recorders.Sum(r => r._ticks.Count)];
        var offset = 0;
        foreach (var recorder in recorders)
        {
            recorder._ticks.CopyTo(all, offset);
            offset += recorder._ticks.Count;
        }

        if (all.Length == 0)
        {
            return LatencySummary.Empty;
        }

        Array.Sort(all);
        return new LatencySummary(all.Length, Ms(Percentile(all, 50)), Ms(Percentile(all, 90)), Ms(Percentile(all, 99)), Ms(all[^1]));
    }

    /// <summary>Nearest-rank percentile of sorted values.</summary>
    public static long Percentile(long[] sorted, double percentile)
    {
        ArgumentNullException.ThrowIfNull(sorted);
        if (sorted.Length == 0)
        {
            return 0;
        }

        var rank = (int)Math.Ceiling(percentile / 100.0 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    private static double Ms(long ticks) => ticks / (double)TimeSpan.TicksPerMillisecond;
}

/// <summary>Stopwatch timestamps as durations.</summary>
public static class Timestamps
{
    /// <summary>The time between two <see cref="Stopwatch.GetTimestamp"/> values.</summary>
    public static TimeSpan Between(long start, long end) => Stopwatch.GetElapsedTime(start, end);
}
