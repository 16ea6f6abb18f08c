using Microsoft.AspNetCore.Http;
using Roadrunner.AspNetCore.Diagnostics;
using Roadrunner.AspNetCore.Listeners;

namespace Roadrunner.AspNetCore.Drain;

/// <summary>
/// One drain generation of a listener (or of the host): a token and the deadline that goes with it.
/// Shared by all requests that started in that generation, so placing it on a request costs nothing.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "The source has no timer; requests may hold its token after the listener is gone, so it is never disposed.")]
internal sealed class DrainSignal : IRoadrunnerDrainFeature
{
    private readonly CancellationTokenSource _cts = new();
    private readonly RoadrunnerDiagnostics _diagnostics;
    private readonly TimeProvider _timeProvider;
    private long _deadlineUtcTicks; // NoDeadline until fired; Unbounded for a drain without deadline.
    private int _running;

    private const long NoDeadline = 0;
    private const long Unbounded = long.MaxValue;

    public DrainSignal(RuntimeListener? listener, RoadrunnerDiagnostics diagnostics, TimeProvider timeProvider, bool countsRunning = false)
    {
        Listener = listener;
        _diagnostics = diagnostics;
        _timeProvider = timeProvider;
        CountsRunning = countsRunning;
    }

    /// <summary>Whether requests holding this signal are counted while they run (a spread slot).</summary>
    public bool CountsRunning { get; }

    /// <summary>Requests holding this signal that are still running (counted only for a spread slot).</summary>
    public int Running => Volatile.Read(ref _running);

    /// <summary>A request holding this signal started.</summary>
    public void Enter() => Interlocked.Increment(ref _running);

    /// <summary>A request holding this signal ended.</summary>
    public void Exit() => Interlocked.Decrement(ref _running);

    /// <summary>The listener this signal belongs to; <see langword="null"/> for the host-wide signal.</summary>
    public RuntimeListener? Listener { get; }

    public string? ListenerName => Listener?.Name;

    public CancellationToken DrainRequested => _cts.Token;

    public bool IsDraining => _cts.IsCancellationRequested;

    /// <summary>
    /// The signal's own deadline, or, once its listener is hard-drained, the drain's: a soft-drained generation
    /// learns the hard deadline without the listener keeping a chain of old generations alive.
    /// </summary>
    public DateTimeOffset? Deadline
    {
        get
        {
            if (Listener is not null && Listener.Signals.TryGetHardDeadline(out var hard))
            {
                return hard;
            }

            var ticks = Volatile.Read(ref _deadlineUtcTicks);
            return ticks is NoDeadline or Unbounded ? null : new DateTimeOffset(ticks, TimeSpan.Zero);
        }
    }

    public TimeSpan? RemainingTime => RemainingUntil(Deadline);

    /// <summary>
    /// Sets (or moves) the deadline, then fires the token; <see langword="null"/> is a drain without deadline.
    /// Callbacks that throw are logged, not rethrown.
    /// </summary>
    public void Fire(DateTimeOffset? deadline)
    {
        Volatile.Write(ref _deadlineUtcTicks, deadline?.UtcTicks ?? Unbounded);
        if (_cts.IsCancellationRequested)
        {
            return;
        }

        try
        {
            _cts.Cancel();
        }
        catch (AggregateException ex)
        {
            RoadrunnerLog.DrainCallbackFailed(_diagnostics.DrainLogger, ListenerName, ex);
        }
    }

    /// <summary>Emits the acknowledged event for a request and counts it toward the listener's drain.</summary>
    public void Acknowledge(HttpContext context, DateTimeOffset? deadline)
    {
        deadline ??= IsDraining ? Deadline : null;
        Listener?.RecordAcknowledgement();
        _diagnostics.Metrics.DrainAcknowledged(ListenerName);

        var logger = _diagnostics.DrainLogger;
        var remaining = RemainingUntil(deadline);
        if (logger.IsEnabled(Microsoft.Extensions.Logging.LogLevel.Debug))
        {
            RoadrunnerLog.DrainAcknowledged(logger, context.TraceIdentifier, ListenerName, (long?)remaining?.TotalMilliseconds);
        }

        _diagnostics.Write(
            RoadrunnerEvents.DrainAcknowledged,
            (Signal: this, Context: context, Deadline: deadline, Remaining: remaining),
            static s => new DrainAcknowledgedEvent(
                s.Signal.ListenerName,
                FormatPeer(s.Context.Connection),
                s.Context.TraceIdentifier,
                s.Deadline,
                s.Remaining));
    }

    private TimeSpan? RemainingUntil(DateTimeOffset? deadline)
    {
        if (deadline is null)
        {
            return null;
        }

        var remaining = deadline.Value - _timeProvider.GetUtcNow();
        return remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero;
    }

    private static string? FormatPeer(ConnectionInfo connection) =>
        connection.RemoteIpAddress is { } address
            ? address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
                ? $"[{address}]:{connection.RemotePort}"
                : $"{address}:{connection.RemotePort}"
            : null;
}
