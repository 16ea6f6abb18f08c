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
/// One named listener: composes its listen socket and <see cref="AcceptLoop"/> (its <see cref="ListenerAcceptor"/>), its
/// <see cref="ConnectionRegistry"/>, its drain signals and the ways it ends (its <see cref="ListenerStopper"/>, which runs
/// its <see cref="ListenerDrain"/>), and moves through <see cref="ListenerState"/> only via its
/// <see cref="ListenerLifecycle"/>. It is also the <see cref="IRoadrunnerListenerFeature"/> placed on each of its connections.
/// </summary>
internal sealed class RuntimeListener : IRoadrunnerListenerFeature
{
    private readonly ListenerLifecycle _lifecycle = new();
    private readonly ListenerManager _owner;
    private readonly RoadrunnerDiagnostics _diagnostics;
    private readonly TimeProvider _timeProvider;
    private readonly Lock _lock = new(); // Shared by the acceptor and the stopper: a socket hand-over and a drain's start exclude each other.
    private readonly ConnectionAdmission _admission;
    private readonly ListenerAcceptor _acceptor;
    private readonly ListenerStopper _stopper;

    private ListenerOptions _options;
    private int _acknowledgements;
    private PaddedCounter _requests;

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
        Sequence = sequence;
        _owner = owner;
        _diagnostics = diagnostics;
        _timeProvider = timeProvider;
        Signals = new ListenerSignals(this, diagnostics, timeProvider);
        Limits = new ListenerLimits(this, diagnostics, timeProvider);
        _admission = new ConnectionAdmission(this, multiplexer, sockets, diagnostics, timeProvider);
        _acceptor = new ListenerAcceptor(this, _lock, sockets, diagnostics, timeProvider);
        _stopper = new ListenerStopper(this, _lifecycle, _lock, _acceptor, owner, diagnostics, timeProvider);
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

    /// <summary>A snapshot of the listener as it is now (see <see cref="ListenerInfoBuilder"/>).</summary>
    public ListenerInfo ToInfo() => ListenerInfoBuilder.Build(this);

    /// <summary>Requests counted on this listener since it started.</summary>
    public long RequestsServed => _requests.Value;

    /// <summary>Connections closed because of their PROXY protocol header (or its absence).</summary>
    public long ProxyProtocolRejected => _admission.ProxyProtocolRejected;

    /// <summary>Binds the listen socket. On failure nothing stays open.</summary>
    public void Bind() => EndPoint = _acceptor.Bind(EndPoint);

    /// <summary>Takes over the bound listen socket of the listener this one replaces on the same endpoint.</summary>
    public void Adopt(ListenSocket socket) => EndPoint = _acceptor.Adopt(socket);

    /// <summary>Hands the still-bound listen socket to a listener replacing this one (see <see cref="ListenerAcceptor.HandOverAsync"/>).</summary>
    /// <returns>The socket, or <see langword="null"/> when this listener no longer accepts (its socket is closing or closed).</returns>
    public Task<ListenSocket?> HandOverSocketAsync() => _acceptor.HandOverAsync();

    /// <summary>
    /// Replaces the options of the running listener (already validated, a private copy). The accept loop re-checks its
    /// pause at once: a raised cap or a behaviour other than Backlog serves the connects waiting in the backlog, a lowered
    /// one pauses before the next accept.
    /// </summary>
    public void PublishOptions(ListenerOptions options)
    {
        Volatile.Write(ref _options, options);
        _acceptor.Interrupt();
        _acceptor.Wake();
    }

    /// <summary>Starts the accept loop; the socket is already bound, so connects succeed from here on.</summary>
    public void StartAccepting()
    {
        StartedAt = _timeProvider.GetUtcNow();
        _acceptor.Prepare();
        _lifecycle.TryMoveTo(ListenerState.Accepting);
        _acceptor.Run();
        Tls?.StartWatching();
    }

    /// <summary>Releases a listener that never started accepting (bind failed, name taken, host stopping).</summary>
    public void DisposeUnstarted() => _stopper.DisposeUnstarted();

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

        _acceptor.Interrupt();
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

        _acceptor.Wake();
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
            _stopper.TryClose();
        }

        // A slot is free: a listener pausing at its cap (Backlog) accepts the next queued connect.
        _acceptor.Wake();
    }

    public void RecordRequest()
    {
        _requests.Increment();
        _diagnostics.Metrics.RequestReceived(Name);
    }

    public void RecordAcknowledgement() => Interlocked.Increment(ref _acknowledgements);

    /// <summary>Closes the listen socket (new connects are refused) and waits for the accept loop to end. Idempotent.</summary>
    public Task StopAcceptingAsync() => _acceptor.StopAsync();

    /// <summary>Stop without waiting on connections (see <see cref="ListenerStopper.StopAsync"/>).</summary>
    /// <returns><see langword="false"/> when the listener was not accepting (a drain or another stop got there first).</returns>
    public Task<bool> StopAsync() => _stopper.StopAsync();

    /// <summary>Soft drain: fire the current generation's signal; later requests get a fresh one.</summary>
    public void NotifyDrain(DateTimeOffset deadline) => _stopper.NotifyDrain(deadline);

    /// <summary>Drains the listener, or joins (and maybe shortens) the drain already running; see <see cref="ListenerStopper.DrainAsync"/>.</summary>
    /// <returns>The drain, or <see langword="null"/> when there is nothing to drain (never started, or closed).</returns>
    public Task<DrainResult>? DrainAsync(TimeSpan timeout) => _stopper.DrainAsync(timeout);

    /// <summary>Called by the drain when it ends, whatever the way: the listener is stopped and forgotten.</summary>
    public void OnDrainFinished(string reason) => _stopper.OnDrainFinished(reason);
}
