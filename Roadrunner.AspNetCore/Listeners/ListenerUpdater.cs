using Microsoft.Extensions.Options;
using Roadrunner.AspNetCore.Diagnostics;
using Roadrunner.AspNetCore.Tls;

namespace Roadrunner.AspNetCore.Listeners;

/// <summary>
/// Changes a running listener in place: publishes new options (only those that can change without a rebind) or a new
/// certificate, on the same socket and connections. Separate from <see cref="ListenerManager"/>, which routes the calls,
/// and from <see cref="ListenerStarter"/>, because an in-place change never binds, registers or drains: it validates,
/// checks what may change, and swaps one immutable value.
/// </summary>
internal sealed class ListenerUpdater
{
    private readonly ListenerRegistry _registry;
    private readonly ListenerOptionsValidator _validator;
    private readonly RoadrunnerDiagnostics _diagnostics;

    public ListenerUpdater(ListenerRegistry registry, ListenerOptionsValidator validator, RoadrunnerDiagnostics diagnostics)
    {
        _registry = registry;
        _validator = validator;
        _diagnostics = diagnostics;
    }

    /// <summary>The listener of that name with <paramref name="options"/> published; <see langword="null"/> when there is none.</summary>
    public Task<ListenerInfo?> UpdateAsync(string name, ListenerOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(options);
        cancellationToken.ThrowIfCancellationRequested();
        return _registry.Find(name) is { } listener
            ? Task.FromResult<ListenerInfo?>(Update(listener, options))
            : Task.FromResult<ListenerInfo?>(null);
    }

    /// <summary>Validates <paramref name="options"/> and publishes them on the running listener; see <see cref="ListenerManager.UpdateAsync"/>.</summary>
    public ListenerInfo Update(RuntimeListener listener, ListenerOptions options)
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

    /// <summary>
    /// Replaces the certificate of the TLS listener of that name (<see langword="null"/> when there is none); a plaintext
    /// listener has no certificate, which is the caller's mistake.
    /// </summary>
    /// <param name="name">The listener's name.</param>
    /// <param name="replace">Loads the new certificate into the listener's TLS state.</param>
    /// <param name="cancellationToken">Observed before the listener is looked up.</param>
    public Task<ListenerInfo?> ReplaceCertificateAsync(string name, Action<ListenerTls> replace, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(name);
        cancellationToken.ThrowIfCancellationRequested();
        if (_registry.Find(name) is not { } listener)
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
}
