using Roadrunner.AspNetCore.Diagnostics;
using Roadrunner.AspNetCore.Listeners;

namespace Roadrunner.AspNetCore.Drain;

/// <summary>
/// The drain signals of the requests a listener received between two drains. Without a drain spread it is one
/// shared signal (nothing per request). With one, requests are dealt over <see cref="SpreadBuckets"/> signals that
/// count the requests still running in them; a hard drain fires the empty ones at once and the others one after
/// another, each given a share of the spread window in proportion to its running requests, so long-lived clients
/// (WebSocket, SSE, long-poll) hear the drain evenly spaced instead of all reconnecting elsewhere in the same instant.
/// </summary>
internal sealed class DrainGeneration
{
    /// <summary>
    /// Slots a spread drain is dealt over (about 33 KB of signals per generation, on a listener with a spread only). Two-choice
    /// dealing keeps their running counts within one of each other, so up to a few hundred long-lived requests are told one
    /// at a time.
    /// </summary>
    public const int SpreadBuckets = 256;

    /// <summary>A spread that runs late tells at most 1.5 times its planned share per step (7.5 % per 100 ms of a 2 s window).</summary>
    private static readonly TimeSpan CatchUpStep = TimeSpan.FromMilliseconds(25);

    private const double CatchUpPace = 1.5;

    private readonly DrainSignal[] _signals;
    private readonly TimeProvider _timeProvider;
    private readonly Lock _lock = new();
    private ITimer? _spreadTimer;
    private (DrainSignal Signal, TimeSpan Due, int Running)[] _schedule = [];
    private int _nextScheduled;
    private long _spreadStarted;
    private TimeSpan _window;
    private DateTimeOffset? _deadline;
    private int _nextRequest;
    private long _lastSignalUtcTicks;

    public DrainGeneration(RuntimeListener? listener, bool spread, RoadrunnerDiagnostics diagnostics, TimeProvider timeProvider)
    {
        _timeProvider = timeProvider;
        _signals = new DrainSignal[spread ? SpreadBuckets : 1];
        for (var i = 0; i < _signals.Length; i++)
        {
            _signals[i] = new DrainSignal(listener, diagnostics, timeProvider, countsRunning: spread);
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

    /// <summary>The requests running in slots that had not been told when the spread began (0 without a spread).</summary>
    public int SpreadRequests { get; private set; }

    /// <summary>
    /// The signal for a request that starts now. With a spread, the less loaded of two slots (the power of two
    /// choices): two reads and no lock, and the running requests stay evenly dealt however long each one lives.
    /// </summary>
    public DrainSignal ForNewRequest()
    {
        if (_signals.Length == 1)
        {
            return _signals[0];
        }

        var n = (uint)Interlocked.Increment(ref _nextRequest);
        var first = _signals[n % SpreadBuckets];
        var second = _signals[(n + 1 + (n / SpreadBuckets % (SpreadBuckets - 1))) % SpreadBuckets];
        return second.Running < first.Running ? second : first;
    }

    /// <summary>Fires every signal now (soft drain, host shutdown without spread, or the rest of a spread).</summary>
    public void FireAll(DateTimeOffset? deadline)
    {
        lock (_lock)
        {
            _spreadTimer?.Dispose();
            _spreadTimer = null;
            _deadline = deadline;
            foreach (var signal in _signals)
            {
                signal.Fire(deadline);
            }

            _nextScheduled = _schedule.Length;
            MarkLastSignal();
        }
    }

    /// <summary>
    /// Fires the slots without running requests now, and the others over <paramref name="window"/>: the first at once,
    /// each next one when the requests told so far have had their share of the window.
    /// </summary>
    public void FireSpread(DateTimeOffset? deadline, TimeSpan window)
    {
        if (_signals.Length == 1 || window <= TimeSpan.Zero)
        {
            FireAll(deadline);
            return;
        }

        lock (_lock)
        {
            if (_spreadTimer is not null || _nextScheduled < _schedule.Length)
            {
                _deadline = deadline;
                return;
            }

            _deadline = deadline;
            var busy = new List<(DrainSignal Signal, int Running)>(_signals.Length);
            var total = 0;
            foreach (var signal in _signals)
            {
                var running = signal.Running;
                if (running > 0 && !signal.IsDraining)
                {
                    busy.Add((signal, running));
                    total += running;
                }
                else
                {
                    signal.Fire(deadline);
                }
            }

            SpreadRequests = total;
            var schedule = new (DrainSignal, TimeSpan, int)[busy.Count];
            var toldBefore = 0;
            for (var i = 0; i < busy.Count; i++)
            {
                schedule[i] = (busy[i].Signal, window * toldBefore / total, busy[i].Running);
                toldBefore += busy[i].Running;
            }

            _schedule = schedule;
            _window = window;
            _nextScheduled = 0;
            _spreadStarted = _timeProvider.GetTimestamp();
            FireDue();
        }
    }

    private void OnSpreadTimer()
    {
        lock (_lock)
        {
            FireDue();
        }
    }

    // Under _lock: fires what is due, then sets the timer for the next one. A late tick (a busy machine) does not fire
    // every slot it missed in one burst: a tick tells at most 1.5 times a CatchUpStep's share of the requests, and if
    // more is due the next tick comes CatchUpStep later, so a late spread catches up gently and ends within twice the
    // window at worst (the window is at most half the time left, so still before the deadline).
    private void FireDue()
    {
        var elapsed = _timeProvider.GetElapsedTime(_spreadStarted);
        var budget = Math.Max(1, (int)(SpreadRequests * CatchUpPace * CatchUpStep.Ticks / Math.Max(1, _window.Ticks)));
        var told = 0;
        while (_nextScheduled < _schedule.Length && _schedule[_nextScheduled].Due <= elapsed && told < budget)
        {
            var (signal, _, running) = _schedule[_nextScheduled++];
            told += running;
            signal.Fire(_deadline);
        }

        if (_nextScheduled >= _schedule.Length)
        {
            _spreadTimer?.Dispose();
            _spreadTimer = null;
            MarkLastSignal();
            return;
        }

        var wait = _schedule[_nextScheduled].Due - elapsed;
        if (wait <= TimeSpan.Zero)
        {
            wait = CatchUpStep; // behind: the next share after a pause, not now
        }

        if (_spreadTimer is null)
        {
            _spreadTimer = _timeProvider.CreateTimer(static s => ((DrainGeneration)s!).OnSpreadTimer(), this, wait, Timeout.InfiniteTimeSpan);
        }
        else
        {
            _spreadTimer.Change(wait, Timeout.InfiniteTimeSpan);
        }
    }

    private void MarkLastSignal()
    {
        if (Interlocked.Read(ref _lastSignalUtcTicks) == 0)
        {
            Interlocked.Exchange(ref _lastSignalUtcTicks, _timeProvider.GetUtcNow().UtcTicks);
        }
    }
}
