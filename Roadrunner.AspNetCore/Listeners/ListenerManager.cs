using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Options;
using Roadrunner.AspNetCore.Diagnostics;
using Roadrunner.AspNetCore.Drain;
using Roadrunner.AspNetCore.Transport;

namespace Roadrunner.AspNetCore.Listeners;

/// <summary>The registry of named runtime listeners.</summary>
internal sealed class ListenerManager : IListenerManager, IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, RuntimeListener> _listeners = new(StringComparer.OrdinalIgnoreCase);
    private readonly IConnectionListenerFactory _socketFactory;
    private readonly RoadrunnerConnectionListenerFactory _transport;
    private readonly RoadrunnerDiagnostics _diagnostics;
    private readonly TimeProvider _timeProvider;
    private readonly ListenerOptionsValidator _validator = new();
    private readonly Action<RuntimeListener> _onRemoved;
    private long _sequence;

    public ListenerManager(
        SocketFactoryHolder sockets,
        RoadrunnerConnectionListenerFactory transport,
        RoadrunnerDiagnostics diagnostics,
        TimeProvider timeProvider)
    {
        _socketFactory = sockets.Factory;
        _transport = transport;
        _diagnostics = diagnostics;
        _timeProvider = timeProvider;
        _onRemoved = Remove;
        HostSignal = new DrainSignal(listener: null, diagnostics, timeProvider, previous: null);

        // Connections queued for Kestrel when it stopped are never served: release their slots.
        foreach (var shape in Enum.GetValues<TransportShape>())
        {
            transport.GetMultiplexer(shape).Dropped += OnDropped;
        }
    }

    /// <summary>The host-shutdown signal, for requests on ordinary Kestrel endpoints.</summary>
    public DrainSignal HostSignal { get; }

    public bool IsShuttingDown => HostSignal.IsDraining;

    public IReadOnlyList<string> Names => [.. Visible().Select(l => l.Name)];

    public IReadOnlyList<ListenerInfo> GetListeners() => [.. Visible().Select(l => l.ToInfo())];

    /// <summary>The registered (visible) listener of that name.</summary>
    internal RuntimeListener? Find(string name) =>
        _listeners.TryGetValue(name, out var listener) && listener.IsVisible ? listener : null;

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
        options = options.Clone(); // Later changes by the caller must not affect a running listener.
        var validation = _validator.Validate(name, options);
        if (validation.Failed)
        {
            throw new OptionsValidationException(name, typeof(ListenerOptions), validation.Failures);
        }

        var tlsOptions = CertificateLoader.CreateTlsOptions(name, options, out var ownedCertificate);
        var shape = tlsOptions is not null ? TransportShape.Tls
            : options.Protocols == ListenerProtocols.Http2 ? TransportShape.Http2
            : TransportShape.Http1;

        var listener = new RuntimeListener(
            name,
            options,
            new IPEndPoint(IPAddress.Parse(options.Address), options.Port),
            tlsOptions,
            ownedCertificate,
            _transport.GetMultiplexer(shape),
            Interlocked.Increment(ref _sequence),
            _diagnostics,
            _timeProvider,
            _onRemoved);

        // Reserve the name first: of concurrent starts of one name exactly one gets past here.
        if (!_listeners.TryAdd(name, listener))
        {
            await listener.DisposeUnboundAsync().ConfigureAwait(false);
            throw new DuplicateListenerException(name);
        }

        try
        {
            await listener.BindAsync(_socketFactory, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _listeners.TryRemove(new KeyValuePair<string, RuntimeListener>(name, listener));
            await listener.DisposeUnboundAsync().ConfigureAwait(false);
            RoadrunnerLog.ListenerBindFailed(_diagnostics.Logger, name, listener.EndPoint.ToString(), ex);
            throw;
        }

        listener.StartAccepting();
        _diagnostics.Metrics.ListenerAdded(name);
        var info = listener.ToInfo();
        RoadrunnerLog.ListenerStarted(_diagnostics.Logger, name, info.Url.GetLeftPart(UriPartial.Authority), options.Protocols);
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
        if (Find(name) is not { } listener || !listener.TryClaimStop())
        {
            return false;
        }

        // Unbinding is quick and must not be left half done, so it does not observe the token.
        try
        {
            await listener.StopAsync().ConfigureAwait(false);
        }
        finally
        {
            Remove(listener);
        }

        return true;
    }

    public async Task<DrainResult?> DrainAsync(string name, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentOutOfRangeException.ThrowIfLessThan(timeout, TimeSpan.Zero);
        if (!_listeners.TryGetValue(name, out var listener) || !listener.IsVisible)
        {
            return null;
        }

        return await listener.DrainAsync(timeout).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public Task<bool> NotifyDrainAsync(string name, DateTimeOffset deadline, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        cancellationToken.ThrowIfCancellationRequested();
        if (!_listeners.TryGetValue(name, out var listener) || !listener.IsVisible)
        {
            return Task.FromResult(false);
        }

        listener.NotifyDrain(deadline);
        return Task.FromResult(true);
    }

    /// <summary>Host shutdown: signal ordinary endpoints, then drain every listener in parallel.</summary>
    public async Task<IReadOnlyList<DrainResult>> DrainAllAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = _timeProvider.GetUtcNow() + timeout;
        var listeners = Visible().ToList();
        RoadrunnerLog.HostShutdownDrain(_diagnostics.Logger, listeners.Count, deadline);
        HostSignal.Fire(deadline);
        var drains = listeners.Select(l => l.DrainAsync(timeout));
        return await Task.WhenAll(drains).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private IEnumerable<RuntimeListener> Visible() =>
        _listeners.Values.Where(l => l.IsVisible).OrderByDescending(l => l.Sequence);

    private void Remove(RuntimeListener listener)
    {
        if (_listeners.TryRemove(new KeyValuePair<string, RuntimeListener>(listener.Name, listener)))
        {
            _diagnostics.Metrics.ListenerRemoved(listener.Name);
            RoadrunnerLog.ListenerStopped(_diagnostics.Logger, listener.Name, listener.ActiveConnections);
            _diagnostics.Write(
                RoadrunnerEvents.ListenerStopped,
                listener,
                static l => new ListenerStoppedEvent(l.Name, l.ActiveConnections));
        }
    }

    private static void OnDropped(ConnectionContext connection)
    {
        if (connection.Features.Get<IRoadrunnerListenerFeature>() is RuntimeListener listener)
        {
            listener.OnConnectionClosed(connection);
        }

        _ = RuntimeListener.DisposeQuietlyAsync(connection);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var listener in _listeners.Values.ToList())
        {
            await listener.StopAsync().ConfigureAwait(false);
            Remove(listener);
        }
    }
}
