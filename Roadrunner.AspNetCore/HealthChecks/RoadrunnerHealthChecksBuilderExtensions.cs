using Microsoft.Extensions.Diagnostics.HealthChecks;
using Roadrunner.AspNetCore.HealthChecks;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Roadrunner's readiness check.</summary>
public static class RoadrunnerHealthChecksBuilderExtensions
{
    /// <summary>
    /// Adds a check that is <see cref="HealthStatus.Unhealthy"/> once host shutdown has begun,
    /// <see cref="HealthStatus.Degraded"/> while any listener drains, and healthy otherwise: map it to a readiness
    /// endpoint (e.g. <c>/readyz</c>) so Kubernetes stops routing to a pod that is draining for shutdown.
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <param name="name">The check's name.</param>
    /// <param name="tags">Tags, e.g. <c>"ready"</c>, to select the check from a health endpoint.</param>
    /// <returns>The builder.</returns>
    public static IHealthChecksBuilder AddRoadrunner(this IHealthChecksBuilder builder, string name = "roadrunner", IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddCheck<RoadrunnerHealthCheck>(name, failureStatus: null, tags ?? ["ready"]);
    }
}
