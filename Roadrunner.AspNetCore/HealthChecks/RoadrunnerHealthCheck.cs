using Microsoft.Extensions.Diagnostics.HealthChecks;
using Roadrunner.AspNetCore.Listeners;

namespace Roadrunner.AspNetCore.HealthChecks;

/// <summary>
/// Readiness: unhealthy from the first moment of host shutdown (the shutdown delay included, so a load balancer
/// stops routing here while the app still serves), degraded while a listener drains, a certificate reload has failed or the last configuration reload could not apply a change, healthy otherwise.
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

        var listeners = manager.GetListeners();
        var draining = listeners.Where(l => l.Status == ListenerStatus.Draining).Select(l => l.Name).ToList();

        // A certificate that did not reload still serves (the old one), but it will expire: worth a look, not a restart.
        var certificates = listeners.Where(l => l.CertificateReloadError is not null).Select(l => $"listener '{l.Name}': {l.CertificateReloadError}").ToList();

        // A bad configuration edit: everything still serves on its previous configuration, but someone must look.
        var reloadProblem = manager.ReloadProblem;
        if (draining.Count > 0 || certificates.Count > 0 || reloadProblem is not null)
        {
            var parts = new List<string>();
            if (reloadProblem is not null)
            {
                parts.Add(reloadProblem);
            }

            if (draining.Count > 0)
            {
                parts.Add($"Draining: {string.Join(", ", draining)}.");
            }

            if (certificates.Count > 0)
            {
                parts.Add($"Certificate reload failed, the old certificate is kept: {string.Join(" ", certificates)}");
            }

            return Task.FromResult(HealthCheckResult.Degraded(string.Join(" ", parts)));
        }

        return Task.FromResult(HealthCheckResult.Healthy($"{manager.Names.Count} listener(s) accepting."));
    }
}
