using Microsoft.Extensions.Diagnostics.HealthChecks;
using Roadrunner.AspNetCore.Listeners;

namespace Roadrunner.AspNetCore.HealthChecks;

/// <summary>
/// Readiness: unhealthy once host shutdown has begun (take the pod out of rotation), degraded while a
/// listener drains, healthy otherwise.
/// </summary>
internal sealed class RoadrunnerHealthCheck(ListenerManager manager) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (manager.IsShuttingDown)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("The host is shutting down; listeners are draining."));
        }

        var draining = manager.GetListeners().Where(l => l.Status == ListenerStatus.Draining).Select(l => l.Name).ToList();
        return Task.FromResult(draining.Count > 0
            ? HealthCheckResult.Degraded($"Draining: {string.Join(", ", draining)}.")
            : HealthCheckResult.Healthy($"{manager.Names.Count} listener(s) accepting."));
    }
}
