using Microsoft.Extensions.Diagnostics.HealthChecks;
using Roadrunner.AspNetCore.Listeners;

namespace Roadrunner.AspNetCore.HealthChecks;

/// <summary>
/// Readiness: unhealthy from the first moment of host shutdown (the shutdown delay included, so a load balancer
/// stops routing here while the app still serves), degraded while a listener drains or while the last configuration reload could not apply a change, healthy otherwise.
/// </summary>
internal sealed class RoadrunnerHealthCheck(ListenerManager manager) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (manager.Shutdown.DelayEndsAt is { } delayEnds)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy(
                $"The host is shutting down: still serving until {delayEnds:O} (Roadrunner:ShutdownDelay) so load balancers stop routing here; then listeners drain."));
        }

        if (manager.IsShuttingDown)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("The host is shutting down; listeners are draining."));
        }

        var draining = manager.GetListeners().Where(l => l.Status == ListenerStatus.Draining).Select(l => l.Name).ToList();
        if (manager.ReloadProblem is { } problem)
        {
            // A bad configuration edit: everything still serves on its previous configuration, but someone must look.
            return Task.FromResult(HealthCheckResult.Degraded(draining.Count > 0 ? $"{problem} Draining: {string.Join(", ", draining)}." : problem));
        }

        return Task.FromResult(draining.Count > 0
            ? HealthCheckResult.Degraded($"Draining: {string.Join(", ", draining)}.")
            : HealthCheckResult.Healthy($"{manager.Names.Count} listener(s) accepting."));
    }
}
