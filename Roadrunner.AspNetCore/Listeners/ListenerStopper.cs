using Roadrunner.AspNetCore.Diagnostics;
using Roadrunner.AspNetCore.Drain;

namespace Roadrunner.AspNetCore.Listeners;

/// <summary>
/// Every way one <see cref="RuntimeListener"/> ends: stopped at once, drained (a <see cref="ListenerDrain"/> started or
/// joined), told ahead of a drain, released before it ever accepted, and finally closed once its last connection is gone.
/// Separate from the listener because ending is a sequence of its own (state moves, certificate watching, the owner's
/// bookkeeping, the drain's single instance), while the listener composes its parts and serves connections.
/// </summary>
internal sealed class ListenerStopper
{
    private readonly RuntimeListener _listener;
    private readonly ListenerLifecycle _lifecycle;
    private readonly Lock _lock;
    private readonly ListenerAcceptor _acceptor;
    private readonly ListenerManager _owner;
    private readonly RoadrunnerDiagnostics _diagnostics;
    private readonly TimeProvider _timeProvider;
    private ListenerDrain? _drain;

    /// <param name="listener">The listener that ends.</param>
    /// <param name="lifecycle">The listener's state machine: every move here goes through it.</param>
    /// <param name="listenerLock">The listener's lock, the one its socket hand-over checks the state under.</param>
    /// <param name="acceptor">The listener's socket and accept loop.</param>
    /// <param name="owner">The manager, told when the listener is stopped and when it is closed.</param>
    /// <param name="diagnostics">Logs, events and metrics.</param>
    /// <param name="timeProvider">The clock of drains.</param>
    public ListenerStopper(
        RuntimeListener listener,
        ListenerLifecycle lifecycle,
        Lock listenerLock,
        ListenerAcceptor acceptor,
        ListenerManager owner,
        RoadrunnerDiagnostics diagnostics,
        TimeProvider timeProvider)
    {
        _listener = listener;
        _lifecycle = lifecycle;
        _lock = listenerLock;
        _acceptor = acceptor;
        _owner = owner;
        _diagnostics = diagnostics;
        _timeProvider = timeProvider;
    }

    /// <summary>Releases a listener that never started accepting (bind failed, name taken, host stopping).</summary>
    public void DisposeUnstarted()
    {
        if (_lifecycle.TryMoveTo(ListenerState.Closed))
        {
            _acceptor.DisposeUnstarted();
            _listener.Tls?.Retire();
            _listener.Limits.Dispose();
        }
    }

    /// <summary>
    /// Stop without waiting on connections: close the listen socket; open connections stay tracked until they close.
    /// </summary>
    /// <returns><see langword="false"/> when the listener was not accepting (a drain or another stop got there first).</returns>
    public async Task<bool> StopAsync()
    {
        if (!_lifecycle.TryMoveTo(ListenerState.Stopping))
        {
            return false;
        }

        // No new connection will need a reloaded certificate.
        _listener.Tls?.StopWatching();

        await _acceptor.StopAsync().ConfigureAwait(false);
        if (_lifecycle.TryMoveTo(ListenerState.Stopped))
        {
            TryClose();
        }

        return true;
    }

    /// <summary>Soft drain: fire the current generation's signal; later requests get a fresh one.</summary>
    public void NotifyDrain(DateTimeOffset deadline)
    {
        // Under the signals' lock: a hard drain that has begun has told everyone already.
        if (!_listener.Signals.TrySoftDrain(deadline, () => _lifecycle.Current is ListenerState.Accepting or ListenerState.Suspended))
        {
            return;
        }

        RoadrunnerLog.DrainNotified(_diagnostics.DrainLogger, _listener.Name, deadline);
        _diagnostics.Write(
            RoadrunnerEvents.DrainNotified,
            (_listener.Name, deadline, _listener.ActiveConnections),
            static s => new DrainStartedEvent(s.Name, s.deadline, s.ActiveConnections));
    }

    /// <summary>
    /// Drains the listener, or joins the drain already running, moving its deadline earlier when
    /// <paramref name="timeout"/> ends sooner (a drain is never extended).
    /// </summary>
    /// <returns>The drain, or <see langword="null"/> when there is nothing to drain (never started, or closed).</returns>
    public Task<DrainResult>? DrainAsync(TimeSpan timeout)
    {
        lock (_lock)
        {
            if (_drain is { } running)
            {
                running.Shorten(timeout);
                return running.Completion;
            }

            if (!_lifecycle.TryMoveTo(ListenerState.Draining))
            {
                return null;
            }

            _listener.Tls?.StopWatching();
            var drain = new ListenerDrain(_listener, timeout, _diagnostics, _timeProvider);
            _drain = drain;
            drain.Start();
            return drain.Completion;
        }
    }

    /// <summary>Called by the drain when it ends, whatever the way: the listener is stopped and forgotten.</summary>
    public void OnDrainFinished(string reason)
    {
        lock (_lock)
        {
            _drain = null;
        }

        _lifecycle.TryMoveTo(ListenerState.Stopped);
        _owner.OnStopped(_listener, reason);
        TryClose();
    }

    /// <summary>Closes the listener once it is stopped and its last connection is gone: it holds nothing any more.</summary>
    public void TryClose()
    {
        if (_listener.Connections.Count == 0 && _lifecycle.TryMoveTo(ListenerState.Closed))
        {
            _listener.Tls?.Retire();
            _listener.Limits.Dispose();
            _owner.OnClosed(_listener);
        }
    }
}
