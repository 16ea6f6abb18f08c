using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Roadrunner.AspNetCore.Diagnostics;
using Roadrunner.AspNetCore.Drain;
using Roadrunner.AspNetCore.Transport;

namespace Roadrunner.AspNetCore.Listeners;

/// <summary>
/// One named listener: composes its listen socket and <see cref="AcceptLoop"/>, its <see cref="ConnectionRegistry"/>,
/// its drain signals and its <see cref="ListenerDrain"/>, and moves through <see cref="ListenerState"/> only via its
/// <see cref="ListenerLifecycle"/>. It is also the <see cref="IRoadrunnerListenerFeature"/> placed on each of its connections.
/// </summary>
internal sealed class RuntimeListener : IRoadrunnerListenerFeature
{
    private readonly ListenerLifecycle _lifecycle = new();
    private readonly ConnectionMultiplexer _multiplexer;
    private readonly SocketFactoryHolder _sockets;
    private readonly ListenerManager _owner;
    private readonly RoadrunnerDiagnostics _diagnostics;
    private readonly TimeProvider _timeProvider;
    private readonly X509Certificate2? _ownedCertificate;
    private readonly Lock _lock = new();
    private readonly LogThrottle _rejectionLog;

    private ListenSocket? _socket;
    private AcceptLoop? _acceptLoop;
    private Task? _stopAccepting;
    private ListenerDrain? _drain;
    private DrainGeneration _generation;
    private long _drainDeadlineUtcTicks; // 0 = no hard drain yet; long.MaxValue = a drain without deadline.
    private int _acknowledgements;
    private long _requests;
    private long _rejected;

    public RuntimeListener(
        string name,
        ListenerOptions options,
        EndPoint requestedEndPoint,
        SslServerAuthenticationOptions? tlsOptions,
        X509Certificate2? ownedCertificate,
        ConnectionMultiplexer multiplexer,
        SocketFactoryHolder sockets,
        long sequence,
        ListenerManager owner,
        RoadrunnerDiagnostics diagnostics,
        TimeProvider timeProvider)
    {
        Name = name;
        Options = options;
        EndPoint = requestedEndPoint;
        TlsOptions = tlsOptions;
        _ownedCertificate = ownedCertificate;
        _multiplexer = multiplexer;
        _sockets = sockets;
        Sequence = sequence;
        _owner = owner;
        _diagnostics = diagnostics;
        _timeProvider = timeProvider;
        _generation = NewGeneration();
        _rejectionLog = new LogThrottle(timeProvider, TimeSpan.FromSeconds(10));
    }

    public string Name { get; }

    string IRoadrunnerListenerFeature.ListenerName => Name;

    public ListenerOptions Options { get; }

    /// <summary>The requested endpoint until bound, then the real one.</summary>
    public EndPoint EndPoint { get; private set; }

    public SslServerAuthenticationOptions? TlsOptions { get; }

    /// <summary>Start order: higher is more recent.</summary>
    public long Sequence { get; }

    public DateTimeOffset StartedAt { get; private set; }

    public ListenerState State => _lifecycle.Current;

    public ListenerStatus Status => _lifecycle.Status;

    public ConnectionRegistry Connections { get; } = new();

    public int ActiveConnections => Connections.Count;

    public int Acknowledgements => Volatile.Read(ref _acknowledgements);

    /// <summary>The drain signal for a request of this listener that starts now.</summary>
    public DrainSignal SignalForNewRequest() => Volatile.Read(ref _generation).ForNewRequest();

    /// <summary>The generation requests starting now belong to.</summary>
    public DrainGeneration CurrentGeneration => Volatile.Read(ref _generation);

    /// <summary>How long a hard drain takes to tell every long-lived request: the listener's, else the app-wide default.</summary>
    public TimeSpan DrainSpread => Options.DrainSpread ?? _owner.DefaultDrainSpread;

    /// <summary>The deadline of the hard drain, which every drain generation of this listener reports once one runs.</summary>
    public long DrainDeadlineUtcTicks => Volatile.Read(ref _drainDeadlineUtcTicks);

    /// <summary>Whether the server's shutdown timeout has run out, so Kestrel is cutting what is left.</summary>
    public bool IsHostStopForced => _owner.IsHostStopForced;

    public ListenerInfo ToInfo() => new()
    {
        Name = Name,
        EndPoint = (IPEndPoint)EndPoint,
        Scheme = TlsOptions is null ? "http" : "https",
        Protocols = Options.Protocols,
        Status = Status,
        ActiveConnections = ActiveConnections,
        MaxConnections = Options.MaxConnections,
        RequestsServed = Interlocked.Read(ref _requests),
        ConnectionsRejected = Interlocked.Read(ref _rejected),
        StartedAt = StartedAt,
    };

    /// <summary>Binds the listen socket. On failure nothing stays open.</summary>
    public void Bind()
    {
        try
        {
            _socket = ListenSocket.Bind(EndPoint, _sockets.Options.Backlog);
        }
        catch (AddressInUseException ex)
        {
            throw new ListenerBindException(Name, (IPEndPoint)EndPoint, addressInUse: true, ex);
        }
        catch (SocketException ex)
        {
            throw new ListenerBindException(Name, (IPEndPoint)EndPoint, ex.SocketErrorCode == SocketError.AddressAlreadyInUse, ex);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new ListenerBindException(Name, (IPEndPoint)EndPoint, addressInUse: false, ex);
        }

        EndPoint = _socket.EndPoint;
    }

    /// <summary>Starts the accept loop; the socket is already bound, so connects succeed from here on.</summary>
    public void StartAccepting()
    {
        StartedAt = _timeProvider.GetUtcNow();
        _acceptLoop = new AcceptLoop(this, _socket!, _diagnostics, _timeProvider);
        _lifecycle.TryMoveTo(ListenerState.Accepting);
        _acceptLoop.Start();
    }

    /// <summary>Releases a listener that never started accepting (bind failed, name taken, host stopping).</summary>
    public void DisposeUnstarted()
    {
        if (_lifecycle.TryMoveTo(ListenerState.Closed))
        {
            _socket?.Dispose();
            _ownedCertificate?.Dispose();
        }
    }

    /// <summary>Whether the accept loop should leave connects in the backlog for now.</summary>
    public bool ShouldPauseAccepting =>
        State == ListenerState.Suspended
        || (Options is { MaxConnectionsBehavior: MaxConnectionsBehavior.Backlog, MaxConnections: { } max } && Connections.Count >= max);

    /// <summary>Suspends accepting; the socket stays bound.</summary>
    /// <returns><see langword="false"/> when the listener was not accepting.</returns>
    public bool Suspend()
    {
        if (!_lifecycle.TryMoveTo(ListenerState.Suspended))
        {
            return false;
        }

        _acceptLoop?.Interrupt();
        return true;
    }

    /// <summary>Resumes accepting; the connects queued meanwhile are served.</summary>
    /// <returns><see langword="false"/> when the listener was not suspended.</returns>
    public bool Resume()
    {
        if (!_lifecycle.TryMoveTo(ListenerState.Accepting))
        {
            return false;
        }

        _acceptLoop?.Wake();
        return true;
    }

    /// <summary>Called by the accept loop, which alone adds connections: check-then-add cannot overshoot the cap.</summary>
    public void OnAccepted(Socket socket)
    {
        if (Options.MaxConnections is { } max && Connections.Count >= max)
        {
            Reject(socket, max);
            return;
        }

        if (socket.LocalEndPoint is IPEndPoint)
        {
            socket.NoDelay = _sockets.Options.NoDelay;
        }

        var connection = new TrackedConnection(_sockets.Factory.Create(socket), this);
        connection.Features.Set<IRoadrunnerListenerFeature>(this);
        Connections.Add(connection);
        _diagnostics.Metrics.ConnectionOpened(Name);

        if (!_multiplexer.TryEnqueue(connection))
        {
            // Kestrel has unbound (the server is stopping): nobody will serve this connection.
            _ = connection.DisposeAsync().AsTask();
        }
    }

    private void Reject(Socket socket, int maxConnections)
    {
        Interlocked.Increment(ref _rejected);
        _diagnostics.Metrics.ConnectionRejected(Name);
        var remote = socket.RemoteEndPoint;
        if (_rejectionLog.TryReport(out var count))
        {
            RoadrunnerLog.ConnectionsRejected(_diagnostics.TransportLogger, Name, maxConnections, count, (int)_rejectionLog.Interval.TotalSeconds);
        }

        _diagnostics.Write(
            RoadrunnerEvents.ConnectionRejected,
            (Name, remote),
            static s => new ConnectionRejectedEvent(s.Name, s.remote, "max_connections"));

        // A FIN without a byte: the client reads end-of-stream.
        try
        {
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
        }

        socket.Dispose();
    }

    /// <summary>Called by the connection middleware when Kestrel starts processing a connection of this listener.</summary>
    public void OnConnectionStarted(ConnectionContext connection)
    {
        // A connection that was queued while a drain began missed the broadcast's RequestClose.
        if (State == ListenerState.Draining)
        {
            connection.Features.Get<IConnectionLifetimeNotificationFeature>()?.RequestClose();
        }
    }

    /// <summary>Called once a connection's socket is closed and Kestrel is done with it (or it never reached Kestrel).</summary>
    public void OnConnectionClosed(TrackedConnection connection)
    {
        if (!Connections.Remove(connection, out var wasLast))
        {
            return;
        }

        if (wasLast)
        {
            TryClose();
        }

        // A slot is free: a listener pausing at its cap (Backlog) accepts the next queued connect.
        _acceptLoop?.Wake();
    }

    public void RecordRequest()
    {
        Interlocked.Increment(ref _requests);
        _diagnostics.Metrics.RequestReceived(Name);
    }

    public void RecordAcknowledgement() => Interlocked.Increment(ref _acknowledgements);

    /// <summary>Closes the listen socket (new connects are refused) and waits for the accept loop to end. Idempotent.</summary>
    public Task StopAcceptingAsync()
    {
        lock (_lock)
        {
            return _stopAccepting ??= _acceptLoop?.StopAsync() ?? Task.CompletedTask;
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

        await StopAcceptingAsync().ConfigureAwait(false);
        if (_lifecycle.TryMoveTo(ListenerState.Stopped))
        {
            TryClose();
        }

        return true;
    }

    /// <summary>Soft drain: fire the current generation's signal; later requests get a fresh one.</summary>
    public void NotifyDrain(DateTimeOffset deadline)
    {
        DrainGeneration fired;
        lock (_lock)
        {
            if (_lifecycle.Current is not (ListenerState.Accepting or ListenerState.Suspended))
            {
                return; // A hard drain has told everyone already.
            }

            // The fired generation is no longer referenced from here: it lives as long as the requests holding it.
            fired = _generation;
            Volatile.Write(ref _generation, NewGeneration());
        }

        RoadrunnerLog.DrainNotified(_diagnostics.DrainLogger, Name, deadline);
        _diagnostics.Write(
            RoadrunnerEvents.DrainNotified,
            (Name, deadline, ActiveConnections),
            static s => new DrainStartedEvent(s.Name, s.deadline, s.ActiveConnections));
        fired.FireAll(deadline);
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

            var drain = new ListenerDrain(this, timeout, _diagnostics, _timeProvider);
            _drain = drain;
            drain.Start();
            return drain.Completion;
        }
    }

    /// <summary>
    /// Fires the current generation (spread over <paramref name="spread"/>, or all at once) and makes every generation
    /// of this listener report the drain's deadline.
    /// </summary>
    /// <returns>The fired generation.</returns>
    public DrainGeneration PublishDrainDeadline(DateTimeOffset? deadline, TimeSpan spread)
    {
        DrainGeneration current;
        lock (_lock)
        {
            Volatile.Write(ref _drainDeadlineUtcTicks, deadline?.UtcTicks ?? long.MaxValue);
            current = _generation;
        }

        current.FireSpread(deadline, spread);
        return current;
    }

    /// <summary>The drain's deadline moved: every generation reads it from here; signals still due by the spread go out now.</summary>
    public void MoveDrainDeadline(DateTimeOffset? deadline)
    {
        Volatile.Write(ref _drainDeadlineUtcTicks, deadline?.UtcTicks ?? long.MaxValue);
        CurrentGeneration.FireAll(deadline);
    }

    private DrainGeneration NewGeneration() => new(this, spread: DrainSpread > TimeSpan.Zero, _diagnostics, _timeProvider);

    /// <summary>Called by the drain when it ends, whatever the way: the listener is stopped and forgotten.</summary>
    public void OnDrainFinished(string reason)
    {
        lock (_lock)
        {
            _drain = null;
        }

        _lifecycle.TryMoveTo(ListenerState.Stopped);
        _owner.OnStopped(this, reason);
        TryClose();
    }

    private void TryClose()
    {
        if (Connections.Count == 0 && _lifecycle.TryMoveTo(ListenerState.Closed))
        {
            _ownedCertificate?.Dispose();
            _owner.OnClosed(this);
        }
    }
}
