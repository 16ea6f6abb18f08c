using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Options;
using Roadrunner.AspNetCore.Diagnostics;
using Roadrunner.AspNetCore.Drain;
using Roadrunner.AspNetCore.Hosting;
using Roadrunner.AspNetCore.Tls;
using Roadrunner.AspNetCore.Transport;

namespace Roadrunner.AspNetCore.Listeners;

/// <summary>
/// The registry of named runtime listeners, and of every listener that still has connections open after its name
/// was released (so host shutdown reaches those too).
/// </summary>
internal sealed class ListenerManager : IListenerManager, IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, RuntimeListener> _names = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<RuntimeListener, byte> _live = new(ReferenceEqualityComparer.Instance);
    private readonly SocketFactoryHolder _sockets;
    private readonly RoadrunnerConnectionListenerFactory _transport;
    private readonly RoadrunnerDiagnostics _diagnostics;
    private readonly TimeProvider _timeProvider;
    private readonly ListenerOptionsValidator _validator;
    private readonly IOptions<RoadrunnerOptions> _options;
    private string? _serverProblem; // null: the server has not started yet; empty: it serves listeners.
    private long _sequence;

    public ListenerManager(
        SocketFactoryHolder sockets,
        RoadrunnerConnectionListenerFactory transport,
        RoadrunnerDiagnostics diagnostics,
        TimeProvider timeProvider,
        IOptions<RoadrunnerOptions> options)
    {
        _options = options;
        _sockets = sockets;
        _transport = transport;
        _diagnostics = diagnostics;
        _timeProvider = timeProvider;
        _validator = new ListenerOptionsValidator(timeProvider);
        Shutdown = new HostShutdownState(diagnostics, timeProvider);
        diagnostics.Metrics.Observe(() => _live.Keys);

        // Connections queued for Kestrel when it stopped are never served: close them, which releases their slots.
        foreach (var shape in Enum.GetValues<TransportShape>())
        {
            transport.GetMultiplexer(shape).Dropped += static connection => _ = connection.DisposeAsync().AsTask();
        }
    }

    /// <summary>Where host shutdown is, and the host-wide drain signal.</summary>
    public HostShutdownState Shutdown { get; }

    /// <summary>The host-shutdown signal, for requests on ordinary Kestrel endpoints.</summary>
    public DrainSignal HostSignal => Shutdown.Signal;

    /// <summary>Host shutdown has begun (the shutdown delay or the drain): readiness is Unhealthy, no listener starts.</summary>
    public bool IsShuttingDown => Shutdown.IsShuttingDown;

    /// <summary>The default drain spread of listeners that do not set their own.</summary>
    public TimeSpan DefaultDrainSpread => _options.Value.DrainSpread;

    /// <summary>Set once the host's shutdown timeout has run out: Kestrel is cutting what is left.</summary>
    public bool IsHostStopForced => Shutdown.IsForced;

    public IReadOnlyList<string> Names => [.. Visible().Select(l => l.Name)];

    public IReadOnlyList<ListenerInfo> GetListeners() => [.. Visible().Select(l => l.ToInfo())];

    /// <summary>Listeners not yet closed, registered or not.</summary>
    internal int LiveListenerCount => _live.Count;

    /// <summary>The registered (visible) listener of that name.</summary>
    internal RuntimeListener? Find(string name) =>
        _names.TryGetValue(name, out var listener) && IsVisible(listener) ? listener : null;

    public ListenerInfo? GetListener(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return Find(name)?.ToInfo();
    }

    public async Task<ListenerInfo> StartAsync(string name, ListenerOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(options);
        if (!ListenerOptionsValidator.IsValidName(name))
        {
            throw new ArgumentException($"Invalid listener name '{name}'. {ListenerOptionsValidator.NameRule}", nameof(name));
        }

        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfCannotServe(name);
        options = options.Clone(); // Later changes by the caller must not affect a running listener.
        var validation = _validator.Validate(name, options);
        if (validation.Failed)
        {
            throw new OptionsValidationException(name, typeof(ListenerOptions), validation.Failures);
        }

        var tls = ListenerTls.Create(name, options, _diagnostics, _timeProvider);
        var shape = tls is not null ? TransportShape.Tls
            : options.Protocols == ListenerProtocols.Http2 ? TransportShape.Http2
            : TransportShape.Http1;

        var listener = new RuntimeListener(
            name,
            options,
            new IPEndPoint(IPAddress.Parse(options.Address), options.Port),
            tls,
            _transport.GetMultiplexer(shape),
            _sockets,
            Interlocked.Increment(ref _sequence),
            this,
            _diagnostics,
            _timeProvider);

        // Reserve the name first: of concurrent starts of one name exactly one gets past here.
        if (!_names.TryAdd(name, listener))
        {
            listener.DisposeUnstarted();
            throw new DuplicateListenerException(name);
        }

        try
        {
            listener.Bind();
        }
        catch (Exception ex)
        {
            _names.TryRemove(new KeyValuePair<string, RuntimeListener>(name, listener));
            listener.DisposeUnstarted();
            RoadrunnerLog.ListenerBindFailed(_diagnostics.ListenersLogger, name, listener.EndPoint.ToString() ?? string.Empty, ex.Message);
            throw;
        }

        _live.TryAdd(listener, 0);
        listener.StartAccepting();

        // Host shutdown fires its signal before it looks for listeners to drain: either it saw this one, or we see the signal.
        if (IsShuttingDown)
        {
            await listener.StopAsync().ConfigureAwait(false);
            OnStopped(listener, "host stopping");
            throw new InvalidOperationException($"Listener '{name}' was not started: the host is shutting down.");
        }

        var info = listener.ToInfo();
        RoadrunnerLog.ListenerStarted(_diagnostics.ListenersLogger, name, info.Url.GetLeftPart(UriPartial.Authority), options.Protocols);
        _diagnostics.Write(
            RoadrunnerEvents.ListenerStarted,
            info,
            static i => new ListenerStartedEvent(i.Name, i.EndPoint, i.Scheme, i.Protocols));
        return info;
    }

    public async Task<bool> StopAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        cancellationToken.ThrowIfCancellationRequested();
        if (Find(name) is not { } listener)
        {
            return false;
        }

        // Unbinding is quick and must not be left half done, so it does not observe the token.
        if (await listener.StopAsync().ConfigureAwait(false))
        {
            return OnStopped(listener, "stopped");
        }

        // A drain is running: forget the name now and leave the drain to finish. One of concurrent stops wins.
        return listener.State == ListenerState.Draining && OnStopped(listener, "stopped while draining");
    }

    public async Task<DrainResult?> DrainAsync(string name, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        DrainDeadline.ThrowIfInvalid(timeout);
        if (Find(name)?.DrainAsync(timeout) is not { } drain)
        {
            return null;
        }

        return await drain.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public Task<bool> NotifyDrainAsync(string name, DateTimeOffset deadline, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        cancellationToken.ThrowIfCancellationRequested();
        if (Find(name) is not { } listener)
        {
            return Task.FromResult(false);
        }

        listener.NotifyDrain(deadline);
        return Task.FromResult(true);
    }

    public Task<ListenerInfo?> SuspendAsync(string name, CancellationToken cancellationToken = default) =>
        Change(name, static l => l.Suspend(), ListenerState.Suspended, cancellationToken);

    public Task<ListenerInfo?> ResumeAsync(string name, CancellationToken cancellationToken = default) =>
        Change(name, static l => l.Resume(), ListenerState.Accepting, cancellationToken);

    private Task<ListenerInfo?> Change(string name, Func<RuntimeListener, bool> change, ListenerState wanted, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(name);
        cancellationToken.ThrowIfCancellationRequested();
        if (Find(name) is not { } listener)
        {
            return Task.FromResult<ListenerInfo?>(null);
        }

        if (!change(listener) && listener.State != wanted)
        {
            throw new InvalidOperationException($"Listener '{name}' is {listener.Status}: only an accepting listener can be suspended, and only a suspended one resumed.");
        }

        RoadrunnerLog.ListenerSuspendedOrResumed(_diagnostics.ListenersLogger, name, listener.Status);
        return Task.FromResult<ListenerInfo?>(listener.ToInfo());
    }

    public Task<ListenerInfo?> ReplaceCertificateAsync(string name, X509Certificate2 certificate, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return ReplaceCertificate(name, tls => tls.Replace(certificate), cancellationToken);
    }

    public Task<ListenerInfo?> ReplaceCertificateFromFileAsync(string name, ListenerCertificate certificate, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return ReplaceCertificate(name, tls => tls.Replace(certificate), cancellationToken);
    }

    private Task<ListenerInfo?> ReplaceCertificate(string name, Action<ListenerTls> replace, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(name);
        cancellationToken.ThrowIfCancellationRequested();
        if (Find(name) is not { } listener)
        {
            return Task.FromResult<ListenerInfo?>(null);
        }

        if (listener.Tls is not { } tls)
        {
            throw new InvalidOperationException($"Listener '{name}' serves plaintext HTTP: it has no certificate to replace. Start it with UseTls: true and a certificate.");
        }

        // Loading reads files and builds the chain: a few milliseconds, done on the caller's thread like StartAsync's.
        replace(tls);
        return Task.FromResult<ListenerInfo?>(listener.ToInfo());
    }

    public Task<IReadOnlyList<DrainResult>> DrainAllAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        DrainDeadline.ThrowIfInvalid(timeout);
        return OrderedDrain.RunAsync(_live.Keys, new DrainDeadline(_timeProvider, timeout), cancellationToken);
    }

    /// <summary>
    /// Host shutdown drain: signal ordinary endpoints, then drain every listener — registered ones, and stopped ones
    /// whose connections are still open — in <see cref="ListenerOptions.ShutdownOrder"/> groups within one deadline.
    /// A drain already running joins, with its deadline moved up to the host's.
    /// </summary>
    public Task<IReadOnlyList<DrainResult>> DrainForShutdownAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        DrainDeadline.ThrowIfInvalid(timeout);
        var deadline = new DrainDeadline(_timeProvider, timeout);
        Shutdown.BeginDrain(deadline.Utc);
        RoadrunnerLog.HostShutdownDrain(_diagnostics.HostingLogger, _live.Count, deadline.Utc);
        return OrderedDrain.RunAsync(_live.Keys, deadline, cancellationToken);
    }

    /// <summary>The listeners a shutdown would drain now, in its groups.</summary>
    internal IReadOnlyList<IReadOnlyList<RuntimeListener>> ShutdownGroups() => OrderedDrain.Groups(_live.Keys);

    /// <summary>
    /// The server check's verdict: <see cref="string.Empty"/> when Kestrel serves the placeholders, else why not (every
    /// later <see cref="StartAsync"/> throws with it).
    /// </summary>
    internal void RecordServerCheck(string problem) => Volatile.Write(ref _serverProblem, problem);

    /// <summary>Forgets the listener's name; <see langword="true"/> for the one caller that removed it.</summary>
    internal bool OnStopped(RuntimeListener listener, string reason)
    {
        if (!_names.TryRemove(new KeyValuePair<string, RuntimeListener>(listener.Name, listener)))
        {
            return false;
        }

        RoadrunnerLog.ListenerStopped(_diagnostics.ListenersLogger, listener.Name, reason, listener.ActiveConnections);
        _diagnostics.Write(
            RoadrunnerEvents.ListenerStopped,
            listener,
            static l => new ListenerStoppedEvent(l.Name, l.ActiveConnections));
        return true;
    }

    /// <summary>The listener's last connection is gone and it holds nothing any more.</summary>
    internal void OnClosed(RuntimeListener listener) => _live.TryRemove(listener, out _);

    private void ThrowIfCannotServe(string name)
    {
        if (Volatile.Read(ref _serverProblem) is { Length: > 0 } problem)
        {
            throw new InvalidOperationException($"Listener '{name}' cannot start: {problem}");
        }

        if (IsShuttingDown)
        {
            throw new InvalidOperationException($"Listener '{name}' cannot start: the host is shutting down.");
        }
    }

    private static bool IsVisible(RuntimeListener listener) =>
        listener.State is ListenerState.Accepting or ListenerState.Suspended or ListenerState.Draining;

    private IEnumerable<RuntimeListener> Visible() =>
        _names.Values.Where(IsVisible).OrderByDescending(l => l.Sequence);

    public async ValueTask DisposeAsync()
    {
        foreach (var listener in _names.Values.ToList())
        {
            await listener.StopAsync().ConfigureAwait(false);
            OnStopped(listener, "disposed");
        }
    }
}
