using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Options;
using Roadrunner.AspNetCore.Diagnostics;
using Roadrunner.AspNetCore.Drain;
using Roadrunner.AspNetCore.Hosting;
using Roadrunner.AspNetCore.Transport;

namespace Roadrunner.AspNetCore.Listeners;

/// <summary>
/// The <see cref="IListenerManager"/> of named runtime listeners: finds a listener by name and routes each call to it or to
/// the collaborator doing the job — <see cref="ListenerRegistry"/> (names, and every listener that still has connections
/// open after its name was released, so host shutdown reaches those too), <see cref="ListenerStarter"/> (start, replace),
/// <see cref="ListenerUpdater"/> (in-place option and certificate changes) — and owns the host-shutdown state.
/// </summary>
internal sealed class ListenerManager : IListenerManager, IAsyncDisposable
{
    private readonly ListenerRegistry _registry = new();
    private readonly ListenerStarter _starter;
    private readonly ListenerUpdater _updater;
    private readonly RoadrunnerDiagnostics _diagnostics;
    private readonly TimeProvider _timeProvider;
    private readonly IOptions<RoadrunnerOptions> _options;
    private string? _reloadProblem;

    public ListenerManager(
        SocketFactoryHolder sockets,
        RoadrunnerConnectionListenerFactory transport,
        RoadrunnerDiagnostics diagnostics,
        TimeProvider timeProvider,
        IOptions<RoadrunnerOptions> options)
    {
        _options = options;
        _diagnostics = diagnostics;
        _timeProvider = timeProvider;
        var validator = new ListenerOptionsValidator(timeProvider);
        _starter = new ListenerStarter(this, _registry, sockets, transport, diagnostics, timeProvider, validator);
        _updater = new ListenerUpdater(_registry, validator, diagnostics);
        Shutdown = new HostShutdownState(diagnostics, timeProvider);
        diagnostics.Metrics.Observe(() => _registry.Live);

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

    public IReadOnlyList<string> Names => [.. _registry.Visible().Select(l => l.Name)];

    public IReadOnlyList<ListenerInfo> GetListeners() => [.. _registry.Visible().Select(l => l.ToInfo())];

    /// <summary>Listeners not yet closed, registered or not.</summary>
    internal int LiveListenerCount => _registry.LiveCount;

    /// <summary>The registered (visible) listener of that name.</summary>
    internal RuntimeListener? Find(string name) => _registry.Find(name);

    public ListenerInfo? GetListener(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return Find(name)?.ToInfo();
    }

    public Task<ListenerInfo> StartAsync(string name, ListenerOptions options, CancellationToken cancellationToken = default) =>
        StartAsync(name, options, ListenerOrigin.Code, cancellationToken);

    /// <summary>Starts a listener and remembers who started it (a configuration reload touches only its own).</summary>
    internal Task<ListenerInfo> StartAsync(string name, ListenerOptions options, ListenerOrigin origin, CancellationToken cancellationToken) =>
        _starter.StartAsync(name, options, origin, cancellationToken);

    /// <summary>Replaces a configured listener whose address, port, protocols or TLS changed: start new, then drain old (see <see cref="ListenerStarter.ReplaceAsync"/>).</summary>
    /// <returns>The new listener and the old one's drain (<see langword="null"/> when it was already gone).</returns>
    internal Task<(ListenerInfo Info, Task<DrainResult>? OldDrain)> ReplaceAsync(
        RuntimeListener old, ListenerOptions options, TimeSpan drainTimeout, CancellationToken cancellationToken) =>
        _starter.ReplaceAsync(old, options, drainTimeout, cancellationToken);

    public Task<ListenerInfo?> UpdateAsync(string name, ListenerOptions options, CancellationToken cancellationToken = default) =>
        _updater.UpdateAsync(name, options, cancellationToken);

    /// <summary>Validates <paramref name="options"/> and publishes them on the running listener; see <see cref="UpdateAsync"/>.</summary>
    internal ListenerInfo Update(RuntimeListener listener, ListenerOptions options) => _updater.Update(listener, options);

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
        return _updater.ReplaceCertificateAsync(name, tls => tls.Replace(certificate), cancellationToken);
    }

    public Task<ListenerInfo?> ReplaceCertificateFromFileAsync(string name, ListenerCertificate certificate, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return _updater.ReplaceCertificateAsync(name, tls => tls.Replace(certificate), cancellationToken);
    }

    public Task<IReadOnlyList<DrainResult>> DrainAllAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        DrainDeadline.ThrowIfInvalid(timeout);
        return OrderedDrain.RunAsync(_registry.Live, new DrainDeadline(_timeProvider, timeout), cancellationToken);
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
        RoadrunnerLog.HostShutdownDrain(_diagnostics.HostingLogger, _registry.LiveCount, deadline.Utc);
        return OrderedDrain.RunAsync(_registry.Live, deadline, cancellationToken);
    }

    /// <summary>The listeners a shutdown would drain now, in its groups.</summary>
    internal IReadOnlyList<IReadOnlyList<RuntimeListener>> ShutdownGroups() => OrderedDrain.Groups(_registry.Live);

    /// <summary>
    /// The server check's verdict: <see cref="string.Empty"/> when Kestrel serves the placeholders, else why not (every
    /// later <see cref="StartAsync(string, ListenerOptions, CancellationToken)"/> throws with it).
    /// </summary>
    internal void RecordServerCheck(string problem) => _starter.RecordServerCheck(problem);

    /// <summary>Forgets the listener's name; <see langword="true"/> for the one caller that removed it.</summary>
    internal bool OnStopped(RuntimeListener listener, string reason)
    {
        if (!_registry.TryForget(listener))
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
    internal void OnClosed(RuntimeListener listener) => _registry.RemoveLive(listener);

    public async ValueTask DisposeAsync()
    {
        foreach (var listener in _registry.Registered())
        {
            await listener.StopAsync().ConfigureAwait(false);
            OnStopped(listener, "disposed");
        }
    }
}
