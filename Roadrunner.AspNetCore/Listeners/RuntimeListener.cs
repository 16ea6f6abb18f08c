using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Roadrunner.AspNetCore.Diagnostics;
using Roadrunner.AspNetCore.Drain;
using Roadrunner.AspNetCore.Limits;
using Roadrunner.AspNetCore.Tls;
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
    private readonly SocketFactoryHolder _sockets;
    private readonly ListenerManager _owner;
    private readonly RoadrunnerDiagnostics _diagnostics;
    private readonly TimeProvider _timeProvider;
    private readonly Lock _lock = new();
    private readonly ConnectionAdmission _admission;

    private ListenerOptions _options;
    private ListenSocket? _socket;
    private AcceptLoop? _acceptLoop;
    private Task? _stopAccepting;
    private ListenerDrain? _drain;
    private int _acknowledgements;
    private long _requests;

    public RuntimeListener(
        string name,
        ListenerOptions options,
        EndPoint requestedEndPoint,
        ListenerTls? tls,
        ConnectionMultiplexer multiplexer,
        SocketFactoryHolder sockets,
        long sequence,
        ListenerManager owner,
        RoadrunnerDiagnostics diagnostics,
        TimeProvider timeProvider)
    {
        Name = name;
        _options = options;
        EndPoint = requestedEndPoint;
        Tls = tls;
        _sockets = sockets;
        Sequence = sequence;
        _owner = owner;
        _diagnostics = diagnostics;
        _timeProvider = timeProvider;
        Signals = new ListenerSignals(this, diagnostics, timeProvider);
        Limits = new ListenerLimits(this, diagnostics, timeProvider);
        _admission = new ConnectionAdmission(this, multiplexer, sockets, diagnostics, timeProvider);
    }

    /// <summary>The listener's request and connection limits (their values are read from <see cref="Options"/> when used).</summary>
    public ListenerLimits Limits { get; }

    public string Name { get; }

    /// <summary>Serializes <see cref="ListenerManager.Update"/> calls on this listener; never taken on the accept or request path.</summary>
    public Lock UpdateLock { get; } = new();

    string IRoadrunnerListenerFeature.ListenerName => Name;

    /// <summary>
    /// The listener's validated options. Replaced as a whole by <see cref="PublishOptions"/> (never mutated), so every
    /// reader sees one consistent set, and new connections and requests see a live update at once.
    /// </summary>
    public ListenerOptions Options => Volatile.Read(ref _options);

    /// <summary>Who started the listener: a configuration reload only ever touches <see cref="ListenerOrigin.Configuration"/> ones.</summary>
    public ListenerOrigin Origin { get; init; }

    /// <summary>The requested endpoint until bound, then the real one.</summary>
    public EndPoint EndPoint { get; private set; }

    /// <summary>The listener's certificates and client-certificate policy; <see langword="null"/> for plaintext.</summary>
    public ListenerTls? Tls { get; }

    /// <summary>Start order: higher is more recent.</summary>
    public long Sequence { get; }

    public DateTimeOffset StartedAt { get; private set; }

    public ListenerState State => _lifecycle.Current;

    public ListenerStatus Status => _lifecycle.Status;

    public ConnectionRegistry Connections { get; } = new();

    public int ActiveConnections => Connections.Count;

    public int Acknowledgements => Volatile.Read(ref _acknowledgements);

    /// <summary>The listener's drain signals: generations, soft drains, the hard deadline.</summary>
    public ListenerSignals Signals { get; }

    /// <summary>The drain signal for a request of this listener that starts now.</summary>
    public DrainSignal SignalForNewRequest() => Signals.ForNewRequest();

    /// <summary>How long a hard drain takes to tell every long-lived request: the listener's, else the app-wide default.</summary>
    public TimeSpan DrainSpread => Options.DrainSpread ?? _owner.DefaultDrainSpread;

    /// <summary>Whether the server's shutdown timeout has run out, so Kestrel is cutting what is left.</summary>
    public bool IsHostStopForced => _owner.IsHostStopForced;

    public ListenerInfo ToInfo()
    {
        var info = NewInfo();
        return EndPoint is UnixDomainSocketEndPoint unix ? info with { Address = UnixSocketAddress.Prefix + unix } : info;
    }

    private ListenerInfo NewInfo() => new()
    {
        Name = Name,
        EndPoint = EndPoint as IPEndPoint ?? new IPEndPoint(IPAddress.Any, 0),
        Scheme = Tls is null ? "http" : "https",
        Protocols = Options.Protocols,
        Status = Status,
        ActiveConnections = ActiveConnections,
        MaxConnections = Options.MaxConnections,
        RequestsServed = Interlocked.Read(ref _requests),
        ConnectionsRejected = _admission.Rejected,
        StartedAt = StartedAt,
        MaxConnectionsBehavior = Options.MaxConnectionsBehavior,
        MaxRequestBodySize = Options.MaxRequestBodySize,
        RequestHeadersTimeout = Options.RequestHeadersTimeout,
        KeepAliveTimeout = Options.KeepAliveTimeout,
        MaxRequestsPerConnection = Options.MaxRequestsPerConnection,
        MinRequestBodyDataRate = Options.MinRequestBodyDataRate is { } rate ? rate with { } : null,
        MaxConcurrentRequests = Options.MaxConcurrentRequests,
        RateLimit = Options.RateLimit is { } limit ? limit with { } : null,
        RequestsThrottled = Limits.Throttled,
        RequestsRateLimited = Limits.RateLimited,
        ProxyProtocol = Options.ProxyProtocol,
        ProxyProtocolRejected = _admission.ProxyProtocolRejected,
        TrustedProxies = Options.TrustedProxies is { Count: > 0 } trusted ? [.. trusted] : null,
        Certificate = Tls?.CertificateInfo,
        ClientCertificateMode = Tls is null ? null : Options.ClientCertificateMode,
        ClientCertificatesRejected = Tls?.ClientPolicy?.Rejected ?? 0,
        CertificateReloadError = Tls?.ReloadProblem,
    };

    /// <summary>Binds the listen socket. On failure nothing stays open.</summary>
    public void Bind()
    {
        _socket = EndPoint is UnixDomainSocketEndPoint unix
            ? UnixListenSocket.Bind(Name, unix, Options.UnixSocketMode, _sockets.Options.Backlog, _diagnostics)
            : ListenSocket.Bind(Name, EndPoint, _sockets.Options.Backlog);
        EndPoint = _socket.EndPoint;
    }

    /// <summary>Takes over the bound listen socket of the listener this one replaces on the same endpoint.</summary>
    public void Adopt(ListenSocket socket)
    {
        _socket = socket;
        EndPoint = socket.EndPoint;
    }

    /// <summary>
    /// Ends this listener's accept loop but leaves its listen socket bound and hands it over, so a listener replacing
    /// this one on the same endpoint accepts the connects already queued: none is refused. The accept loop's own
    /// state ends here; stopping or draining afterwards no longer touches the socket.
    /// </summary>
    /// <returns>The socket, or <see langword="null"/> when this listener no longer accepts (its socket is closing or closed).</returns>
    public async Task<ListenSocket?> HandOverSocketAsync()
    {
        Task<ListenSocket> detach;
        lock (_lock)
        {
            if (_stopAccepting is not null || _acceptLoop is null || State is not (ListenerState.Accepting or ListenerState.Suspended))
            {
                return null;
            }

            detach = _acceptLoop.DetachAsync();
            _stopAccepting = detach;
        }

        return await detach.ConfigureAwait(false);
    }

    /// <summary>
    /// Replaces the options of the running listener (already validated, a private copy). The accept loop re-checks its
    /// pause at once: a raised cap or a behaviour other than Backlog serves the connects waiting in the backlog, a lowered
    /// one pauses before the next accept.
    /// </summary>
    public void PublishOptions(ListenerOptions options)
    {
        Volatile.Write(ref _options, options);
        _acceptLoop?.Interrupt();
        _acceptLoop?.Wake();
    }

    /// <summary>Starts the accept loop; the socket is already bound, so connects succeed from here on.</summary>
    public void StartAccepting()
    {
        StartedAt = _timeProvider.GetUtcNow();
        _acceptLoop = new AcceptLoop(this, _socket!, _diagnostics, _timeProvider);
        _lifecycle.TryMoveTo(ListenerState.Accepting);
        _acceptLoop.Start();
        Tls?.StartWatching();
    }

    /// <summary>Releases a listener that never started accepting (bind failed, name taken, host stopping).</summary>
    public void DisposeUnstarted()
    {
        if (_lifecycle.TryMoveTo(ListenerState.Closed))
        {
            _socket?.Dispose();
            Tls?.Retire();
            Limits.Dispose();
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

    /// <summary>Called by the accept loop for each accepted socket.</summary>
    public void OnAccepted(Socket socket) => _admission.Admit(socket);

    public long ConnectionsRejected => _admission.Rejected;

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

        if (connection.Limits is { OverCap: true })
        {
            _admission.OnOverCapClosed();
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

        // No new connection will need a reloaded certificate.
        Tls?.StopWatching();

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
        // Under the signals' lock: a hard drain that has begun has told everyone already.
        if (!Signals.TrySoftDrain(deadline, () => _lifecycle.Current is ListenerState.Accepting or ListenerState.Suspended))
        {
            return;
        }

        RoadrunnerLog.DrainNotified(_diagnostics.DrainLogger, Name, deadline);
        _diagnostics.Write(
            RoadrunnerEvents.DrainNotified,
            (Name, deadline, ActiveConnections),
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

            Tls?.StopWatching();
            var drain = new ListenerDrain(this, timeout, _diagnostics, _timeProvider);
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
        _owner.OnStopped(this, reason);
        TryClose();
    }

    private void TryClose()
    {
        if (Connections.Count == 0 && _lifecycle.TryMoveTo(ListenerState.Closed))
        {
            Tls?.Retire();
            Limits.Dispose();
            _owner.OnClosed(this);
        }
    }
}
