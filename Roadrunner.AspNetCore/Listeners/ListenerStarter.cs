using System.Net;
using Microsoft.Extensions.Options;
using Roadrunner.AspNetCore.Diagnostics;
using Roadrunner.AspNetCore.Hosting;
using Roadrunner.AspNetCore.Tls;
using Roadrunner.AspNetCore.Transport;

namespace Roadrunner.AspNetCore.Listeners;

/// <summary>
/// Brings new listeners up for <see cref="ListenerManager"/>: validates and builds a <see cref="RuntimeListener"/>, reserves
/// its name, binds (or takes over a replaced listener's socket), and starts it accepting — or leaves nothing behind when a
/// step fails. Separate from the manager, which only routes calls by name, because starting is the one multi-step
/// sequence with rollback; a replacement (start new, then drain old) is a start too, so it lives here.
/// </summary>
internal sealed class ListenerStarter
{
    private readonly ListenerManager _owner;
    private readonly ListenerRegistry _registry;
    private readonly SocketFactoryHolder _sockets;
    private readonly RoadrunnerConnectionListenerFactory _transport;
    private readonly RoadrunnerDiagnostics _diagnostics;
    private readonly TimeProvider _timeProvider;
    private readonly ListenerOptionsValidator _validator;
    private string? _serverProblem; // null: the server has not started yet; empty: it serves listeners.
    private long _sequence;

    public ListenerStarter(
        ListenerManager owner,
        ListenerRegistry registry,
        SocketFactoryHolder sockets,
        RoadrunnerConnectionListenerFactory transport,
        RoadrunnerDiagnostics diagnostics,
        TimeProvider timeProvider,
        ListenerOptionsValidator validator)
    {
        _owner = owner;
        _registry = registry;
        _sockets = sockets;
        _transport = transport;
        _diagnostics = diagnostics;
        _timeProvider = timeProvider;
        _validator = validator;
    }

    /// <summary>Records the server check's verdict (see <see cref="ListenerManager.RecordServerCheck"/>).</summary>
    public void RecordServerCheck(string problem) => Volatile.Write(ref _serverProblem, problem);

    /// <summary>Starts a listener and remembers who started it (a configuration reload touches only its own).</summary>
    public async Task<ListenerInfo> StartAsync(string name, ListenerOptions options, ListenerOrigin origin, CancellationToken cancellationToken)
    {
        var listener = Create(name, options, origin, cancellationToken);

        // Reserve the name first: of concurrent starts of one name exactly one gets past here.
        if (!_registry.TryReserve(name, listener))
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
            _registry.Unreserve(name, listener);
            listener.DisposeUnstarted();
            RoadrunnerLog.ListenerBindFailed(_diagnostics.ListenersLogger, name, listener.EndPoint.ToString() ?? string.Empty, ex.Message);
            throw;
        }

        return await StartAcceptingAsync(listener).ConfigureAwait(false);
    }

    /// <summary>
    /// Replaces a configured listener whose address, port, protocols or TLS changed: start new, then drain old. The new
    /// listener takes over the name at once (so <see cref="ListenerManager.GetListener"/>, <see cref="ListenerManager.DrainAsync"/> and the admin API reach
    /// it); the old one, detached from the name, drains with <paramref name="drainTimeout"/>. On the same endpoint the
    /// new listener takes over the old one's bound socket, so no connect is refused; on another endpoint the new one
    /// binds first, and a bind failure leaves the old one untouched.
    /// </summary>
    /// <returns>The new listener and the old one's drain (<see langword="null"/> when it was already gone).</returns>
    public async Task<(ListenerInfo Info, Task<DrainResult>? OldDrain)> ReplaceAsync(
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
        if (!_registry.TryPassName(old, listener))
        {
            listener.DisposeUnstarted();
            throw new DuplicateListenerException(name);
        }

        var info = await StartAcceptingAsync(listener).ConfigureAwait(false);
        return (info, old.DrainAsync(drainTimeout));
    }

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
            _owner,
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
        _registry.AddLive(listener);
        listener.StartAccepting();

        // Host shutdown fires its signal before it looks for listeners to drain: either it saw this one, or we see the signal.
        if (_owner.IsShuttingDown)
        {
            await listener.StopAsync().ConfigureAwait(false);
            _owner.OnStopped(listener, "host stopping");
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

    private void ThrowIfCannotServe(string name)
    {
        if (Volatile.Read(ref _serverProblem) is { Length: > 0 } problem)
        {
            throw new InvalidOperationException($"Listener '{name}' cannot start: {problem}");
        }

        if (_owner.IsShuttingDown)
        {
            throw new InvalidOperationException($"Listener '{name}' cannot start: the host is shutting down.");
        }
    }
}
