using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Roadrunner.AspNetCore.Admin;
using Roadrunner.AspNetCore.Admin.Dashboard;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps Roadrunner's ready-made admin API and live dashboard.</summary>
public static class RoadrunnerAdminEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps the admin API under <paramref name="prefix"/>: <c>GET/POST {prefix}/listeners</c>,
    /// <c>GET/DELETE {prefix}/listeners/{name}</c> and <c>POST {prefix}/listeners/{name}/drain</c>, <c>/notify-drain</c>,
    /// <c>/suspend</c>, <c>/resume</c>, <c>PATCH {prefix}/listeners/{name}</c> (live limits) and
    /// <c>POST {prefix}/listeners/{name}/certificate</c>. UTF-8 JSON in and out, RFC 9457 problem details for every error, and OpenAPI metadata
    /// for every operation and status.
    /// </summary>
    /// <remarks>
    /// Secure by default: without authorization on the returned group and without <c>Roadrunner:Admin:ApiKey</c>, only
    /// loopback clients are answered (others get 403) and a warning is logged at start-up. Add
    /// <c>.RequireAuthorization(...)</c>, <c>.RequireListener("admin")</c>, rate limiting and so on to the returned group.
    /// Every mutating call is audited: log id 65 and the <see cref="Roadrunner.AspNetCore.RoadrunnerEvents.AdminAction"/> event.
    /// </remarks>
    /// <param name="endpoints">The endpoint route builder (the app).</param>
    /// <param name="prefix">The route prefix; defaults to <c>/admin</c>.</param>
    /// <returns>The route group, for the app's own conventions.</returns>
    public static RouteGroupBuilder MapRoadrunnerAdmin(this IEndpointRouteBuilder endpoints, string prefix = "/admin")
    {
        var (group, access, trimmed) = MapGroup(endpoints, prefix, "Admin");
        AdminEndpoints.Map(group, trimmed, access);
        AdminEndpoints.MapChanges(group, access);
        return group;
    }

    /// <summary>
    /// Maps the live dashboard under <paramref name="prefix"/>: one self-contained page at <c>{prefix}/</c> (no external
    /// scripts, styles or fonts) and its Server-Sent Events stream at <c>{prefix}/events</c>. The page calls the admin API
    /// mapped by <see cref="MapRoadrunnerAdmin"/> (at <paramref name="adminPrefix"/>) for its buttons.
    /// </summary>
    /// <remarks>The same access rules as <see cref="MapRoadrunnerAdmin"/>.</remarks>
    /// <param name="endpoints">The endpoint route builder (the app).</param>
    /// <param name="prefix">The route prefix; defaults to <c>/admin/ui</c>.</param>
    /// <param name="adminPrefix">Where the admin API is mapped; defaults to <c>/admin</c>.</param>
    /// <returns>The route group, for the app's own conventions.</returns>
    public static RouteGroupBuilder MapRoadrunnerDashboard(this IEndpointRouteBuilder endpoints, string prefix = "/admin/ui", string adminPrefix = "/admin")
    {
        ArgumentNullException.ThrowIfNull(adminPrefix);
        var (group, access, _) = MapGroup(endpoints, prefix, "Dashboard");
        DashboardEndpoints.Map(group, access, adminPrefix.TrimEnd('/'));
        return group;
    }

    private static (RouteGroupBuilder Group, AdminAccess Access, string Prefix) MapGroup(IEndpointRouteBuilder endpoints, string prefix, string kind)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentException.ThrowIfNullOrWhiteSpace(prefix);
        var access = endpoints.ServiceProvider.GetService<AdminAccess>()
            ?? throw new InvalidOperationException($"MapRoadrunner{kind} needs Roadrunner's services: call builder.WebHost.UseRoadrunner() or builder.Services.AddRoadrunner().");
        var trimmed = prefix.TrimEnd('/');
        var marker = new AdminEndpointMarker(trimmed.Length == 0 ? "/" : trimmed, kind);
        var group = endpoints.MapGroup(trimmed);
        group.WithMetadata(marker).WithTags(kind == "Admin" ? AdminEndpoints.Tag : "Roadrunner dashboard");
        AdminEndpoints.AccessProblems(group);
        AdminSecurityCheck.Register(endpoints, access, marker);
        return (group, access, trimmed);
    }
}
