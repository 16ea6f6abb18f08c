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
    private readonly ConcurrentDictionary<RuntimeListener, byte> _detached = new(ReferenceEqualityComparer.Instance);
    private readonly SocketFactoryHolder _sockets;
    private readonly RoadrunnerConnectionListenerFactory _transport;
    private readonly RoadrunnerDiagnostics _diagnostics;
    private readonly TimeProvider _timeProvider;
    private readonly ListenerOptionsValidator _validator;
    private readonly IOptions<RoadrunnerOptions> _options;
    private string? _serverProblem; // null: the server has not started yet; empty: it serves listeners.
    private long _sequence;
    private string? _reloadProblem;

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

    /// <summary>Why the last configuration reload could not apply everything; <see langword="null"/> after a reload that did.</summary>
    internal string? ReloadProblem
    {
        get => Volatile.Read(ref _reloadProblem);
        set => Volatile.Write(ref _reloadProblem, value);
    }

    /// <summary>Set once the host's shutdown timeout has run out: Kestrel is cutting what is left.</summary>
    public bool IsHostStopForced => Shutdown.IsForced;

    public IReadOnlyList<string> Names => [.. Visible().Select(l => l.Name)];

    public IReadOnlyList<ListenerInfo> GetListeners() => [.. Visible().Select(l => l.ToInfo())];

    /// <summary>Listeners not yet closed, registered or not.</summary>
    internal int LiveListenerCount => _live.Count;

    /// <summary>The registered (visible) listener of that name.</summary>
    internal RuntimeListener? Find(string name) =>
        _names.TryGetValue(name, out var listener) && IsVisible(listener) ? listener : null;

    /// <summary>Validates a copy of the options and builds an unbound listener for them.</summary>
    private RuntimeListener Create(string name, ListenerOptions options, ListenerOrigin origin, CancellationToken cancellationToken)
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

        return new RuntimeListener(
            name,
            options,
            UnixSocketAddress.TryGetPath(options.Address, out var unixPath)
                ? new System.Net.Sockets.UnixDomainSocketEndPoint(unixPath)
                : new IPEndPoint(IPAddress.Parse(options.Address), options.Port),
            tls,
            _transport.GetMultiplexer(shape),
            _sockets,
            Interlocked.Increment(ref _sequence),
            this,
            _diagnostics,
            _timeProvider)
        {
            Origin = origin,
        };
    }

    /// <summary>The listener is bound and registered under its name: it accepts from here on.</summary>
    private async Task<ListenerInfo> StartAcceptingAsync(RuntimeListener listener)
    {
        var name = listener.Name;
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
        RoadrunnerLog.ListenerStarted(_diagnostics.ListenersLogger, name, info.UnixSocketPath is null ? info.Url.GetLeftPart(UriPartial.Authority) : info.Address, listener.Options.Protocols);
        _diagnostics.Write(
            RoadrunnerEvents.ListenerStarted,
            info,
            static i => new ListenerStartedEvent(i.Name, i.EndPoint, i.Scheme, i.Protocols) { UnixSocketPath = i.UnixSocketPath });
        return info;
    }

    public ListenerInfo? GetListener(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return Find(name)?.ToInfo();
    }

    public Task<ListenerInfo> StartAsync(string name, ListenerOptions options, CancellationToken cancellationToken = default) =>
        StartAsync(name, options, ListenerOrigin.Code, cancellationToken);

    /// <summary>Starts a listener and remembers who started it (a configuration reload touches only its own).</summary>
    internal async Task<ListenerInfo> StartAsync(string name, ListenerOptions options, ListenerOrigin origin, CancellationToken cancellationToken)
    {
        var listener = Create(name, options, origin, cancellationToken);

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

        return await StartAcceptingAsync(listener).ConfigureAwait(false);
    }

    /// <summary>
    /// Replaces a configured listener whose address, port, protocols or TLS changed: start new, then drain old. The new
    /// listener takes over the name at once (so <see cref="GetListener"/>, <see cref="DrainAsync"/> and the admin API reach
    /// it); the old one, detached from the name, drains with <paramref name="drainTimeout"/>. On the same endpoint the
    /// new listener takes over the old one's bound socket, so no connect is refused; on another endpoint the new one
    /// binds first, and a bind failure leaves the old one untouched.
    /// </summary>
    /// <returns>The new listener and the old one's drain (<see langword="null"/> when it was already gone).</returns>
    internal async Task<(ListenerInfo Info, Task<DrainResult>? OldDrain)> ReplaceAsync(
        RuntimeListener old, ListenerOptions options, TimeSpan drainTimeout, CancellationToken cancellationToken)
    {
        var name = old.Name;
        var listener = Create(name, options, old.Origin, cancellationToken);
        try
        {
            var sameEndPoint = options.Port != 0
                && old.EndPoint is IPEndPoint bound
                && bound.Port == options.Port
                && bound.Address.Equals(IPAddress.Parse(options.Address));
            if (sameEndPoint && await old.HandOverSocketAsync().ConfigureAwait(false) is { } socket)
            {
                listener.Adopt(socket);
            }
            else
            {
                listener.Bind();
            }
        }
        catch (Exception ex)
        {
            listener.DisposeUnstarted();
            RoadrunnerLog.ListenerBindFailed(_diagnostics.ListenersLogger, name, listener.EndPoint.ToString() ?? string.Empty, ex.Message);
            throw;
        }

        // The old listener leaves the name registry but stays live (host shutdown still drains it), and its stop is
        // still logged and raised when its drain ends.
        _detached.TryAdd(old, 0);
        if (!_names.TryUpdate(name, listener, old) && !_names.TryAdd(name, listener))
        {
            _detached.TryRemove(old, out _);
            listener.DisposeUnstarted();
            throw new DuplicateListenerException(name);
        }

        var info = await StartAcceptingAsync(listener).ConfigureAwait(false);
        return (info, old.DrainAsync(drainTimeout));
    }

    public Task<ListenerInfo?> UpdateAsync(string name, ListenerOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(options);
        cancellationToken.ThrowIfCancellationRequested();
        return Find(name) is { } listener
            ? Task.FromResult<ListenerInfo?>(Update(listener, options))
            : Task.FromResult<ListenerInfo?>(null);
    }

    /// <summary>Validates <paramref name="options"/> and publishes them on the running listener; see <see cref="UpdateAsync"/>.</summary>
    internal ListenerInfo Update(RuntimeListener listener, ListenerOptions options)
    {
        var name = listener.Name;
        options = options.Clone();
        var validation = _validator.Validate(name, options);
        if (validation.Failed)
        {
            throw new OptionsValidationException(name, typeof(ListenerOptions), validation.Failures);
        }

        // Serialized per listener, so two updates cannot interleave their check and publish; the accept path takes no lock.
        lock (listener.UpdateLock)
        {
            if (listener.State is not (ListenerState.Accepting or ListenerState.Suspended))
            {
                throw new InvalidOperationException(
                    $"Listener '{name}' is {listener.Status}: only an accepting or suspended listener's options can change.");
            }

            var current = listener.Options;
            if (ListenerOptionsChanges.FirstFixedChange(current, options, listener.EndPoint) is { } key)
            {
                throw new ListenerUpdateException(name, key);
            }

            var changes = ListenerOptionsChanges.Describe(current, options);
            listener.PublishOptions(options);
            RoadrunnerLog.ListenerUpdated(_diagnostics.ListenersLogger, name, changes.Length == 0 ? "nothing changed" : changes);
        }

        return listener.ToInfo();
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
    /// later <see cref="StartAsync(string, ListenerOptions, CancellationToken)"/> throws with it).
    /// </summary>
    internal void RecordServerCheck(string problem) => Volatile.Write(ref _serverProblem, problem);

    /// <summary>Forgets the listener's name; <see langword="true"/> for the one caller that removed it.</summary>
    internal bool OnStopped(RuntimeListener listener, string reason)
    {
        // A listener replaced by a reload left the name to its successor; its own stop is still reported once.
        if (!_names.TryRemove(new KeyValuePair<string, RuntimeListener>(listener.Name, listener)) && !_detached.TryRemove(listener, out _))
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
