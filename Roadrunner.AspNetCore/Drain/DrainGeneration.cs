using Roadrunner.AspNetCore.Diagnostics;
using Roadrunner.AspNetCore.Listeners;

namespace Roadrunner.AspNetCore.Drain;

/// <summary>
/// The drain signals of the requests a listener received between two drains. Without a drain spread it is one
/// shared signal (nothing per request). With one, requests are dealt round-robin over <see cref="SpreadBuckets"/>
/// signals that a hard drain fires one after another across the spread window, so long-lived clients (WebSocket,
/// SSE, long-poll) do not all hear the drain, and reconnect elsewhere, in the same instant.
/// </summary>
internal sealed class DrainGeneration
{
    /// <summary>Enough buckets that one 100 ms slice of a 2 s window holds about 5 % of the requests.</summary>
    public const int SpreadBuckets = 64;

    private readonly DrainSignal[] _signals;
    private readonly TimeProvider _timeProvider;
    private readonly Lock _lock = new();
    private ITimer? _spreadTimer;
    private DateTimeOffset? _deadline;
    private int _nextRequest;
    private int _fired;
    private long _lastSignalUtcTicks;

    public DrainGeneration(RuntimeListener? listener, bool spread, RoadrunnerDiagnostics diagnostics, TimeProvider timeProvider)
    {
        _timeProvider = timeProvider;
        _signals = new DrainSignal[spread ? SpreadBuckets : 1];
        for (var i = 0; i < _signals.Length; i++)
        {
            _signals[i] = new DrainSignal(listener, diagnostics, timeProvider);
        }
    }

    /// <summary>When the last signal of this generation went out; <see langword="null"/> while some are still due.</summary>
    public DateTimeOffset? LastSignalAt
    {
        get
        {
            var ticks = Interlocked.Read(ref _lastSignalUtcTicks);
            return ticks == 0 ? null : new DateTimeOffset(ticks, TimeSpan.Zero);
        }
    }

    /// <summary>The signal for a request that starts now.</summary>
    public DrainSignal ForNewRequest() =>
        _signals.Length == 1 ? _signals[0] : _signals[(int)((uint)Interlocked.Increment(ref _nextRequest) % SpreadBuckets)];

    /// <summary>Fires every signal now (soft drain, host shutdown without spread, or the rest of a spread).</summary>
    public void FireAll(DateTimeOffset? deadline)
    {
        lock (_lock)
        {
            _spreadTimer?.Dispose();
            _spreadTimer = null;
            _deadline = deadline;
            FireUpTo(_signals.Length);
        }
    }

    /// <summary>Fires the signals one bucket at a time over <paramref name="window"/>, the first at once.</summary>
    public void FireSpread(DateTimeOffset? deadline, TimeSpan window)
    {
        if (_signals.Length == 1 || window <= TimeSpan.Zero)
        {
            FireAll(deadline);
            return;
        }

        lock (_lock)
        {
            _deadline = deadline;
            FireUpTo(1);
            if (_fired < _signals.Length && _spreadTimer is null)
            {
                var step = window / (_signals.Length - 1);
                _spreadTimer = _timeProvider.CreateTimer(static s => ((DrainGeneration)s!).FireNext(), this, step, step);
            }
        }
    }

    private void FireNext()
    {
        lock (_lock)
        {
            FireUpTo(_fired + 1);
            if (_fired >= _signals.Length)
            {
                _spreadTimer?.Dispose();
                _spreadTimer = null;
            }
        }
    }

    // Under _lock.
    private void FireUpTo(int count)
    {
        for (; _fired < count && _fired < _signals.Length; _fired++)
        {
            _signals[_fired].Fire(_deadline);
        }

        if (_fired == _signals.Length && Interlocked.Read(ref _lastSignalUtcTicks) == 0)
        {
            Interlocked.Exchange(ref _lastSignalUtcTicks, _timeProvider.GetUtcNow().UtcTicks);
        }
    }
}
