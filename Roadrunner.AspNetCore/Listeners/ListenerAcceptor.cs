using System.Net;
using System.Net.Sockets;
using Roadrunner.AspNetCore.Diagnostics;
using Roadrunner.AspNetCore.Transport;

namespace Roadrunner.AspNetCore.Listeners;

/// <summary>
/// One listener's listen socket and <see cref="AcceptLoop"/>, from bind to stop: binds the socket (or adopts the one a
/// replaced listener hands over), runs the accept loop, hands the bound socket on to a successor, or closes it. Separate
/// from <see cref="RuntimeListener"/> because owning the socket (and the race between handing it over and stopping) is
/// its own job; the listener keeps its lifecycle, drain and connections. Held in a readonly field of the listener, so
/// waking the loop when a connection closes stays a direct call.
/// </summary>
internal sealed class ListenerAcceptor
{
    private readonly RuntimeListener _listener;
    private readonly Lock _lock;
    private readonly SocketFactoryHolder _sockets;
    private readonly RoadrunnerDiagnostics _diagnostics;
    private readonly TimeProvider _timeProvider;

    private ListenSocket? _socket;
    private AcceptLoop? _acceptLoop;
    private Task? _stopAccepting;

    /// <param name="listener">The listener whose connects this accepts.</param>
    /// <param name="listenerLock">
    /// The listener's own lock: a hand-over checks the listener's state under the same lock a drain takes to begin, so the
    /// two cannot interleave.
    /// </param>
    /// <param name="sockets">The transport's socket options (the backlog).</param>
    /// <param name="diagnostics">Logs and metrics.</param>
    /// <param name="timeProvider">The clock of the accept loop.</param>
    public ListenerAcceptor(
        RuntimeListener listener, Lock listenerLock, SocketFactoryHolder sockets, RoadrunnerDiagnostics diagnostics, TimeProvider timeProvider)
    {
        _listener = listener;
        _lock = listenerLock;
        _sockets = sockets;
        _diagnostics = diagnostics;
        _timeProvider = timeProvider;
    }

    /// <summary>Binds the listen socket. On failure nothing stays open.</summary>
    /// <returns>The endpoint really bound.</returns>
    public EndPoint Bind(EndPoint requested)
    {
        _socket = requested is UnixDomainSocketEndPoint unix
            ? UnixListenSocket.Bind(_listener.Name, unix, _listener.Options.UnixSocketMode, _sockets.Options.Backlog, _diagnostics)
            : ListenSocket.Bind(_listener.Name, requested, _sockets.Options.Backlog);
        return _socket.EndPoint;
    }

    /// <summary>Takes over the bound listen socket of the listener this one replaces on the same endpoint.</summary>
    /// <returns>The socket's endpoint.</returns>
    public EndPoint Adopt(ListenSocket socket)
    {
        _socket = socket;
        return socket.EndPoint;
    }

    /// <summary>Creates the accept loop on the bound socket; it accepts once <see cref="Run"/> is called.</summary>
    public void Prepare() => _acceptLoop = new AcceptLoop(_listener, _socket!, _diagnostics, _timeProvider);

    /// <summary>Starts the accept loop created by <see cref="Prepare"/>.</summary>
    public void Run() => _acceptLoop!.Start();

    /// <summary>Makes the accept loop re-check its pause at once (a suspend, or a lowered cap).</summary>
    public void Interrupt() => _acceptLoop?.Interrupt();

    /// <summary>Lets a paused accept loop accept again (a resume, a raised cap, a freed slot).</summary>
    public void Wake() => _acceptLoop?.Wake();

    /// <summary>
    /// Ends the accept loop but leaves the listen socket bound and hands it over, so a listener replacing this one on the
    /// same endpoint accepts the connects already queued: none is refused. The accept loop's own state ends here;
    /// stopping or draining afterwards no longer touches the socket.
    /// </summary>
    /// <returns>The socket, or <see langword="null"/> when the listener no longer accepts (its socket is closing or closed).</returns>
    public async Task<ListenSocket?> HandOverAsync()
    {
        Task<ListenSocket> detach;
        lock (_lock)
        {
            if (_stopAccepting is not null || _acceptLoop is null || _listener.State is not (ListenerState.Accepting or ListenerState.Suspended))
            {
                return null;
            }

            detach = _acceptLoop.DetachAsync();
            _stopAccepting = detach;
        }

        return await detach.ConfigureAwait(false);
    }

    /// <summary>Closes the listen socket (new connects are refused) and waits for the accept loop to end. Idempotent.</summary>
    public Task StopAsync()
    {
        lock (_lock)
        {
            return _stopAccepting ??= _acceptLoop?.StopAsync() ?? Task.CompletedTask;
        }
    }

    /// <summary>Closes the socket of a listener that never started accepting.</summary>
    public void DisposeUnstarted() => _socket?.Dispose();
}
