using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Roadrunner.AspNetCore.Listeners;

namespace Roadrunner.AspNetCore.Hosting;

/// <summary>
/// Starts the configured listeners with the app, and on shutdown drains them all before Kestrel stops.
/// <see cref="IHostedLifecycleService.StoppingAsync"/> runs before any hosted service's StopAsync,
/// so the drain signal reaches handlers while Kestrel still serves them.
/// </summary>
internal sealed class RoadrunnerHostedService(
    ListenerManager manager,
    IOptions<RoadrunnerOptions> options,
    IOptions<HostOptions> hostOptions) : IHostedLifecycleService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var started = new List<string>();
        try
        {
            foreach (var (name, listenerOptions) in options.Value.Listeners)
            {
                await manager.StartAsync(name, listenerOptions, cancellationToken).ConfigureAwait(false);
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
    }

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        var timeout = hostOptions.Value.ShutdownTimeout - options.Value.ShutdownDrainMargin;
        if (timeout < TimeSpan.Zero)
        {
            timeout = TimeSpan.Zero;
        }

        try
        {
            await manager.DrainAllAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The host's own shutdown timeout won: Kestrel aborts what is left.
        }
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
