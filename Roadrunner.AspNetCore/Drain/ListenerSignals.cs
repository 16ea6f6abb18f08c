using Roadrunner.AspNetCore.Diagnostics;
using Roadrunner.AspNetCore.Listeners;

namespace Roadrunner.AspNetCore.Drain;

/// <summary>
/// The drain signals of one listener: the current <see cref="DrainGeneration"/> new requests join, soft drains that
/// fire it and start the next, and the hard drain's deadline, which every generation reports once a drain runs (so no
/// chain of old generations is kept: memory stays bounded however many soft drains run).
/// </summary>
internal sealed class ListenerSignals
{
    private const long NoHardDrain = 0;
    private const long Unbounded = long.MaxValue;

    private readonly RuntimeListener _listener;
    private readonly RoadrunnerDiagnostics _diagnostics;
    private readonly TimeProvider _timeProvider;
    private readonly Lock _lock = new();
    private DrainGeneration _generation;
    private long _hardDeadlineUtcTicks;

    public ListenerSignals(RuntimeListener listener, RoadrunnerDiagnostics diagnostics, TimeProvider timeProvider)
    {
        _listener = listener;
        _diagnostics = diagnostics;
        _timeProvider = timeProvider;
        _generation = NewGeneration();
    }

    /// <summary>The hard drain's deadline in UTC ticks: 0 before any, <see cref="long.MaxValue"/> for one without deadline.</summary>
    public long HardDeadlineUtcTicks => Interlocked.Read(ref _hardDeadlineUtcTicks);

    public DrainGeneration Current => Volatile.Read(ref _generation);

    /// <summary>The signal for a request that starts now.</summary>
    public DrainSignal ForNewRequest() => Current.ForNewRequest();

    /// <summary>Fires the current generation if <paramref name="allowed"/> still holds, and starts the next.</summary>
    /// <returns><see langword="false"/> when not allowed (a hard drain has told everyone already).</returns>
    public bool TrySoftDrain(DateTimeOffset deadline, Func<bool> allowed)
    {
        DrainGeneration fired;
        lock (_lock)
        {
            if (!allowed())
            {
                return false;
            }

            // The fired generation is no longer referenced from here: it lives as long as the requests holding it.
            fired = _generation;
            Volatile.Write(ref _generation, NewGeneration());
        }

        fired.FireAll(deadline);
        return true;
    }

    /// <summary>
    /// Fires the current generation (spread over <paramref name="spread"/>, or all at once) and makes every generation
    /// report the drain's deadline.
    /// </summary>
    /// <returns>The generation told, whose <see cref="DrainGeneration.LastSignalAt"/> says when the spread ended.</returns>
    public DrainGeneration PublishHardDeadline(DateTimeOffset? deadline, TimeSpan spread)
    {
        DrainGeneration current;
        lock (_lock)
        {
            Interlocked.Exchange(ref _hardDeadlineUtcTicks, deadline?.UtcTicks ?? Unbounded);
            current = _generation;
        }

        current.FireSpread(deadline, spread);
        return current;
    }

    /// <summary>The drain's deadline moved: every generation reads it from here; signals still due by the spread go out now.</summary>
    public void MoveHardDeadline(DateTimeOffset? deadline)
    {
        Interlocked.Exchange(ref _hardDeadlineUtcTicks, deadline?.UtcTicks ?? Unbounded);
        Current.FireAll(deadline);
    }

    /// <summary>Whether a hard drain has set the deadline, and which (<see langword="null"/> for none).</summary>
    public bool TryGetHardDeadline(out DateTimeOffset? deadline)
    {
        var ticks = HardDeadlineUtcTicks;
        deadline = ticks is NoHardDrain or Unbounded ? null : new DateTimeOffset(ticks, TimeSpan.Zero);
        return ticks != NoHardDrain;
    }

    private DrainGeneration NewGeneration() =>
        new(_listener, spread: _listener.DrainSpread > TimeSpan.Zero, _diagnostics, _timeProvider);
}
