namespace Roadrunner.AspNetCore.Drain;

/// <summary>
/// The deadline of one drain, on the monotonic clock of a <see cref="TimeProvider"/>: completes
/// <see cref="Reached"/> when it passes, never before, and can be moved earlier (never later).
/// <see cref="Timeout.InfiniteTimeSpan"/>, and any timeout whose wall-clock deadline lies beyond
/// <see cref="DateTimeOffset.MaxValue"/>, mean no deadline.
/// </summary>
internal sealed class DrainDeadline : IDisposable
{
    // Timers accept at most uint.MaxValue - 1 ms (~49.7 days); a later deadline is reached by re-arming.
    private static readonly TimeSpan MaxTimerDue = TimeSpan.FromMilliseconds(uint.MaxValue - 1);

    private readonly TimeProvider _timeProvider;
    private readonly ITimer _timer;
    private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _lock = new();
    private readonly long _startTimestamp;
    private readonly DateTimeOffset _startUtc;
    private long _timeoutTicks; // From the start; Timeout.InfiniteTimeSpan's ticks for none. Read without the lock.

    public DrainDeadline(TimeProvider timeProvider, TimeSpan timeout)
    {
        ThrowIfInvalid(timeout);
        _timeProvider = timeProvider;
        _startTimestamp = timeProvider.GetTimestamp();
        _startUtc = timeProvider.GetUtcNow();
        _timeoutTicks = Normalize(_startUtc, timeout).Ticks;
        _timer = timeProvider.CreateTimer(static state => ((DrainDeadline)state!).OnTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        lock (_lock)
        {
            Arm();
        }
    }

    /// <summary>Whether a timeout is one a drain accepts: zero or more, or <see cref="Timeout.InfiniteTimeSpan"/>.</summary>
    public static bool IsValidTimeout(TimeSpan timeout) => timeout >= TimeSpan.Zero || timeout == Timeout.InfiniteTimeSpan;

    /// <exception cref="ArgumentOutOfRangeException">The timeout is negative and not <see cref="Timeout.InfiniteTimeSpan"/>.</exception>
    public static void ThrowIfInvalid(TimeSpan timeout)
    {
        if (!IsValidTimeout(timeout))
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "A drain timeout is zero or more, or Timeout.InfiniteTimeSpan for a drain without deadline.");
        }
    }

    /// <summary>Completes once the deadline has passed.</summary>
    public Task Reached => _reached.Task;

    /// <summary>The wall-clock deadline; <see langword="null"/> for none.</summary>
    public DateTimeOffset? Utc
    {
        get
        {
            var timeout = TimeSpan.FromTicks(Interlocked.Read(ref _timeoutTicks));
            return timeout == Timeout.InfiniteTimeSpan ? null : _startUtc + timeout;
        }
    }

    /// <summary>Time left until the deadline (zero once passed); <see langword="null"/> for none.</summary>
    public TimeSpan? Remaining
    {
        get
        {
            var timeout = CurrentTimeout;
            if (timeout == Timeout.InfiniteTimeSpan)
            {
                return null;
            }

            var remaining = timeout - Elapsed;
            return remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero;
        }
    }

    /// <summary>Time since the deadline was set.</summary>
    public TimeSpan Elapsed => _timeProvider.GetElapsedTime(_startTimestamp);

    /// <summary>Moves the deadline to <paramref name="timeout"/> from now, if that is earlier.</summary>
    /// <returns><see langword="true"/> if the deadline moved.</returns>
    public bool TryShorten(TimeSpan timeout)
    {
        if (timeout < TimeSpan.Zero)
        {
            return false; // Timeout.InfiniteTimeSpan never shortens.
        }

        lock (_lock)
        {
            var elapsed = Elapsed;
            var candidate = timeout > TimeSpan.MaxValue - elapsed ? Timeout.InfiniteTimeSpan : Normalize(_startUtc, elapsed + timeout);
            if (candidate == Timeout.InfiniteTimeSpan || (CurrentTimeout != Timeout.InfiniteTimeSpan && candidate >= CurrentTimeout))
            {
                return false;
            }

            Interlocked.Exchange(ref _timeoutTicks, candidate.Ticks);
            Arm();
            return true;
        }
    }

    public void Dispose() => _timer.Dispose();

    private TimeSpan CurrentTimeout => TimeSpan.FromTicks(Interlocked.Read(ref _timeoutTicks));

    private static TimeSpan Normalize(DateTimeOffset startUtc, TimeSpan timeout) =>
        timeout == Timeout.InfiniteTimeSpan || timeout > DateTimeOffset.MaxValue - startUtc ? Timeout.InfiniteTimeSpan : timeout;

    private void OnTimer()
    {
        lock (_lock)
        {
            Arm();
        }
    }

    // Under _lock.
    private void Arm()
    {
        if (_reached.Task.IsCompleted)
        {
            return;
        }

        if (CurrentTimeout == Timeout.InfiniteTimeSpan)
        {
            _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            return;
        }

        var remaining = CurrentTimeout - Elapsed;
        if (remaining <= TimeSpan.Zero)
        {
            _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            _reached.TrySetResult();
            return;
        }

        // Timers count whole milliseconds on a coarse clock and can fire a little early: round up, and the
        // callback checks the clock again and re-arms for any remainder.
        var due = remaining < MaxTimerDue ? TimeSpan.FromMilliseconds(Math.Ceiling(remaining.TotalMilliseconds)) : MaxTimerDue;
        _timer.Change(due, Timeout.InfiniteTimeSpan);
    }
}
