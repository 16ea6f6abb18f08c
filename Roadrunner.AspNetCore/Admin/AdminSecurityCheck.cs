using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;

namespace Roadrunner.AspNetCore.Admin;

/// <summary>Marks the endpoints of one <c>MapRoadrunnerAdmin</c> or <c>MapRoadrunnerDashboard</c> call, for the start-up check.</summary>
/// <param name="Prefix">The route prefix the call was given.</param>
/// <param name="Kind"><c>Admin</c> or <c>Dashboard</c>.</param>
internal sealed record AdminEndpointMarker(string Prefix, string Kind);

/// <summary>
/// At start-up, once every convention has been applied (RequireAuthorization may come after Map...), warns once per mapped
/// group that answers loopback clients only because it has neither authorization metadata nor an API key.
/// </summary>
internal static class AdminSecurityCheck
{
    public static void Register(IEndpointRouteBuilder endpoints, AdminAccess access, AdminEndpointMarker marker)
    {
        var lifetime = (IHostApplicationLifetime?)endpoints.ServiceProvider.GetService(typeof(IHostApplicationLifetime));
        lifetime?.ApplicationStarted.Register(() =>
        {
            if (access.HasApiKey)
            {
                return;
            }

            // Reading Endpoints builds them, conventions included; the routing middleware would do the same on the first request.
            foreach (var source in endpoints.DataSources)
            {
                foreach (var endpoint in source.Endpoints)
                {
                    if (ReferenceEquals(endpoint.Metadata.GetMetadata<AdminEndpointMarker>(), marker) && !AdminAccess.HasAuthorization(endpoint.Metadata))
                    {
                        AdminLog.AdminUnsecured(access.Logger, marker.Prefix, marker.Kind);
                        return;
                    }
                }
            }
        });
    }
}
