using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Roadrunner.AspNetCore.Diagnostics;
using Roadrunner.AspNetCore.Listeners;
using Roadrunner.AspNetCore.Reload;
using Roadrunner.AspNetCore.Transport;

namespace Roadrunner.AspNetCore.Hosting;

/// <summary>
/// Starts the configured listeners with the app, checks once the server has started that it serves them, and on
/// shutdown drains them all before Kestrel stops. <see cref="IHostedLifecycleService.StoppingAsync"/> runs before any
/// hosted service's StopAsync, so the drain signal reaches handlers while Kestrel still serves them.
/// </summary>
internal sealed class RoadrunnerHostedService(
    ListenerManager manager,
    RoadrunnerConnectionListenerFactory transport,
    IServiceProvider services,
    TimeProvider timeProvider,
    RoadrunnerDiagnostics diagnostics,
    IOptions<RoadrunnerOptions> options,
    IOptions<HostOptions> hostOptions,
    ListenerConfigurationReloader reloader) : IHostedLifecycleService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var started = new List<string>();
        try
        {
            foreach (var (name, listenerOptions) in options.Value.Listeners)
            {
                await manager.StartAsync(name, listenerOptions, ListenerOrigin.Configuration, cancellationToken).ConfigureAwait(false);
                started.Add(name);
            }
        }
        catch
        {
            // A bad configured listener fails start-up and leaves none of its siblings bound.
            foreach (var name in started)
            {
                await manager.StopAsync(name, CancellationToken.None).ConfigureAwait(false);
            }

            throw;
        }

        // From here on, changes of Roadrunner:Listeners apply while the app runs.
        reloader.Start(options.Value.Listeners);
    }

    /// <summary>Every hosted service's StartAsync has run, the server's included: it has bound its endpoints, or never will.</summary>
    public Task StartedAsync(CancellationToken cancellationToken)
    {
        var server = services.GetService<IServer>();
        var preferHostingUrls = server?.Features.Get<IServerAddressesFeature>()?.PreferHostingUrls ?? false;
        return ServerCompatibility.VerifyAsync(manager, transport, diagnostics, server, preferHostingUrls);
    }

    /// <summary>
    /// Host shutdown: readiness turns Unhealthy at once; everything keeps serving for <see cref="RoadrunnerOptions.ShutdownDelay"/>
    /// so load balancers stop routing here; then every listener drains, in shutdown-order groups, within
    /// <c>ShutdownTimeout − ShutdownDelay − ShutdownDrainMargin</c>.
    /// </summary>
    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        // The token fires when the host's ShutdownTimeout runs out; from then on Kestrel cuts connections.
        // No reload starts or replaces a listener once shutdown has begun; one in progress finishes first.
        await reloader.DisposeAsync().ConfigureAwait(false);
        using var forced = cancellationToken.Register(static s => ((HostShutdownState)s!).OnForced(), manager.Shutdown);
        var shutdownTimeout = hostOptions.Value.ShutdownTimeout;
        var delay = options.Value.ShutdownDelay;
        var drainTimeout = DrainTimeout(shutdownTimeout, delay, options.Value.ShutdownDrainMargin);
        var now = timeProvider.GetUtcNow();
        manager.Shutdown.BeginDelay(delay);
        RoadrunnerLog.ShutdownTimeline(
            diagnostics.HostingLogger,
            delay,
            now + delay,
            manager.ShutdownGroups().Sum(g => g.Count),
            drainTimeout == Timeout.InfiniteTimeSpan ? null : now + delay + drainTimeout,
            shutdownTimeout == Timeout.InfiniteTimeSpan ? null : now + shutdownTimeout);
        try
        {
            if (delay > TimeSpan.Zero)
            {
                await Task.Delay(delay, timeProvider, cancellationToken).ConfigureAwait(false);
            }

            await manager.DrainForShutdownAsync(drainTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The host's own shutdown timeout won: Kestrel aborts what is left.
        }
    }

    /// <summary>
    /// <c>ShutdownTimeout − ShutdownDrainMargin</c>, never below zero; an infinite shutdown timeout drains without deadline.
    /// </summary>
    internal static TimeSpan DrainTimeout(TimeSpan shutdownTimeout, TimeSpan margin) => DrainTimeout(shutdownTimeout, TimeSpan.Zero, margin);

    /// <summary>
    /// <c>ShutdownTimeout − ShutdownDelay − ShutdownDrainMargin</c>, never below zero; an infinite shutdown timeout drains
    /// without deadline.
    /// </summary>
    internal static TimeSpan DrainTimeout(TimeSpan shutdownTimeout, TimeSpan delay, TimeSpan margin)
    {
        if (shutdownTimeout == Timeout.InfiniteTimeSpan)
        {
            return Timeout.InfiniteTimeSpan;
        }

        var timeout = shutdownTimeout - delay - margin;
        return timeout > TimeSpan.Zero ? timeout : TimeSpan.Zero;
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
