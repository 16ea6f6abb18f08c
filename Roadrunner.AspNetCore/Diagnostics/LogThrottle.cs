namespace Roadrunner.AspNetCore.Diagnostics;

/// <summary>
/// Summarises a flood of one log line: the first occurrence is reported at once, later ones at most once per
/// interval with the count since the last report. Not thread-safe by design: each user is a single loop
/// (an accept loop) or guards it itself.
/// </summary>
internal sealed class LogThrottle(TimeProvider timeProvider, TimeSpan interval)
{
    private long _lastReportTimestamp;
    private int _unreported;

    public TimeSpan Interval => interval;

    /// <summary>Counts one occurrence; <see langword="true"/> when it should be logged now, with the count to log.</summary>
    public bool TryReport(out int count)
    {
        _unreported++;
        var now = timeProvider.GetTimestamp();
        if (_lastReportTimestamp != 0 && timeProvider.GetElapsedTime(_lastReportTimestamp, now) < interval)
        {
            count = 0;
            return false;
        }

        count = _unreported;
        _unreported = 0;
        _lastReportTimestamp = now;
        return true;
    }
}
