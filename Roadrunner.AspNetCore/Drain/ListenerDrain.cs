using Microsoft.AspNetCore.Connections;
using Roadrunner.AspNetCore.Diagnostics;
using Roadrunner.AspNetCore.Listeners;

namespace Roadrunner.AspNetCore.Drain;

/// <summary>
/// One drain of one listener, from the first step to its result: stop accepting, tell every request the deadline,
/// ask every connection to close, wait for the last socket to close or the deadline, cut what is left and wait a
/// short grace for those sockets too. Whatever happens, the listener ends stopped and forgotten.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "The deadline is disposed when the drain ends, in RunAsync's finally.")]
internal sealed class ListenerDrain
{
    /// <summary>
    /// How long the drain waits for cut connections to be gone after their abort; Kestrel allows the same second
    /// at the end of its own shutdown. Handlers that ignore <c>RequestAborted</c> beyond it are reported, not waited on.
    /// </summary>
    public static readonly TimeSpan AbortGrace = TimeSpan.FromSeconds(1);

    private readonly RuntimeListener _listener;
    private readonly RoadrunnerDiagnostics _diagnostics;
    private readonly TimeProvider _timeProvider;
    private readonly DrainDeadline _deadline;

    public ListenerDrain(RuntimeListener listener, TimeSpan timeout, RoadrunnerDiagnostics diagnostics, TimeProvider timeProvider)
    {
        _listener = listener;
        _diagnostics = diagnostics;
        _timeProvider = timeProvider;
        _deadline = new DrainDeadline(timeProvider, timeout);
    }

    public Task<DrainResult> Completion { get; private set; } = null!;

    public void Start() => Completion = RunAsync();

    /// <summary>Moves the deadline earlier (host shutdown, or a second drain call with a shorter timeout).</summary>
    public void Shorten(TimeSpan timeout)
    {
        if (_deadline.TryShorten(timeout))
        {
            var deadline = _deadline.Utc;
            _listener.Signals.MoveHardDeadline(deadline);
            RoadrunnerLog.DrainDeadlineMoved(_diagnostics.DrainLogger, _listener.Name, deadline);
        }
    }

    private async Task<DrainResult> RunAsync()
    {
        var reason = "drain";
        try
        {
            // Counted from the call: a joining drain call may tell requests the deadline before step 2.
            var connections = _listener.Connections;
            var gracefulBefore = connections.GracefulCloses;
            var forcedBefore = connections.ForcedCloses;
            var acknowledgementsBefore = _listener.Acknowledgements;
            var startedAt = _timeProvider.GetUtcNow();

            // 1. Stop accepting before anyone is told, so no connection can slip in after the broadcast.
            await _listener.StopAcceptingAsync().ConfigureAwait(false);
            var connectionsAtStart = connections.Count;

            // 2. Every request of every generation (soft drains included) learns the deadline.
            var deadline = _deadline.Utc;
            var spread = EffectiveSpread(_listener.DrainSpread, _deadline);
            var told = _listener.Signals.PublishHardDeadline(deadline, spread);
            RoadrunnerLog.DrainStarted(_diagnostics.DrainLogger, _listener.Name, connectionsAtStart, deadline);
            _diagnostics.Write(
                RoadrunnerEvents.DrainStarted,
                (_listener.Name, deadline, connectionsAtStart),
                static s => new DrainStartedEvent(s.Name, s.deadline ?? DateTimeOffset.MaxValue, s.connectionsAtStart));

            // 3. Ask every connection to finish, unless the deadline is already here.
            if (!_deadline.Reached.IsCompleted)
            {
                connections.RequestCloseAll();
            }

            // 4. Event-driven: the last socket to close completes WhenEmpty.
            var empty = connections.WhenEmpty();
            await Task.WhenAny(empty, _deadline.Reached).ConfigureAwait(false);

            // 5. At the deadline, cut what is left, then give those sockets a short grace to be gone.
            var cut = 0;
            if (!empty.IsCompleted)
            {
                cut = Force(connections);
                using var grace = new DrainDeadline(_timeProvider, AbortGrace);
                await Task.WhenAny(empty, grace.Reached).ConfigureAwait(false);
            }

            // Whoever the spread had not told yet is gone; a result reports when the last signal went out.
            told.FireAll(_deadline.Utc);
            if (spread > TimeSpan.Zero)
            {
                RoadrunnerLog.DrainSpreadCompleted(_diagnostics.DrainLogger, _listener.Name, told.SpreadRequests, (long)spread.TotalMilliseconds, (long)(told.LastSignalAt!.Value - startedAt).TotalMilliseconds);
            }

            var lingering = connections.Count;
            if (lingering > 0)
            {
                RoadrunnerLog.ConnectionsLingering(_diagnostics.DrainLogger, _listener.Name, lingering, (long)AbortGrace.TotalMilliseconds);
            }

            // Counted as they closed: a connection cut by anyone (this drain, or Kestrel at the host's shutdown
            // timeout) is aborted, not graceful.
            var graceful = (int)(connections.GracefulCloses - gracefulBefore);
            var aborted = (int)(connections.ForcedCloses - forcedBefore) + lingering;
            var result = new DrainResult(
                _listener.Name,
                aborted > 0 ? DrainOutcome.TimedOut : DrainOutcome.Drained,
                graceful,
                aborted,
                _listener.Acknowledgements - acknowledgementsBefore,
                _deadline.Elapsed)
            {
                LastSignalAt = told.LastSignalAt,
            };

            _diagnostics.Metrics.DrainCompleted(result, cut);
            RoadrunnerLog.DrainCompleted(_diagnostics.DrainLogger, _listener.Name, result.Outcome, (long)result.Elapsed.TotalMilliseconds, result.GracefulConnections, result.AbortedConnections, result.Acknowledgements);
            _diagnostics.Write(RoadrunnerEvents.DrainCompleted, result, static r => r);
            return result;
        }
        catch (Exception ex)
        {
            reason = "drain failed";
            RoadrunnerLog.DrainFailed(_diagnostics.DrainLogger, _listener.Name, ex);
            throw;
        }
        finally
        {
            _deadline.Dispose();
            _listener.OnDrainFinished(reason);
        }
    }

    /// <summary>
    /// The spread window, bounded to half the time left so the last request told still has half the deadline to
    /// finish in; a drain without deadline spreads over the whole window.
    /// </summary>
    internal static TimeSpan EffectiveSpread(TimeSpan spread, DrainDeadline deadline)
    {
        if (spread <= TimeSpan.Zero || deadline.Reached.IsCompleted)
        {
            return TimeSpan.Zero;
        }

        return deadline.Remaining is { } remaining && remaining / 2 < spread ? remaining / 2 : spread;
    }

    private int Force(ConnectionRegistry connections)
    {
        var reason = new ConnectionAbortedException($"Listener '{_listener.Name}' reached its drain deadline.");
        var survivors = connections.ForceAll(reason);
        var logger = _diagnostics.DrainLogger;
        var logEach = logger.IsEnabled(Microsoft.Extensions.Logging.LogLevel.Debug);
        foreach (var connection in survivors)
        {
            if (logEach)
            {
                RoadrunnerLog.ConnectionAbortedAtDeadline(logger, connection.ConnectionId, _listener.Name);
            }

            _diagnostics.Write(
                RoadrunnerEvents.ConnectionAborted,
                (_listener.Name, connection),
                static s => new ConnectionAbortedEvent(s.Name, s.connection.ConnectionId, s.connection.RemoteEndPoint));
        }

        RoadrunnerLog.ConnectionsAbortedAtDeadline(logger, _listener.Name, survivors.Count);
        return survivors.Count;
    }
}
