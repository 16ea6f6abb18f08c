using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Roadrunner.AspNetCore.Admin;

/// <summary>
/// The admin API's route map: which route groups <c>MapRoadrunnerAdmin</c> is made of, in the order OpenAPI lists them.
/// Endpoints are <see cref="RequestDelegate"/>s (no reflection-based parameter binding: trim- and AOT-safe in a library)
/// that return typed results; bodies are read by <see cref="AdminBody"/> and mapped by <see cref="AdminListenerMapping"/>.
/// Each group's handlers live in their own class: <see cref="AdminListenerEndpoints"/> (list, get, create, delete),
/// <see cref="AdminLifecycleEndpoints"/> (drain, notify-drain, suspend, resume), <see cref="AdminUpdateEndpoints"/> (PATCH)
/// and <see cref="AdminCertificateEndpoints"/>; their OpenAPI metadata comes from <see cref="AdminOpenApiMetadata"/>.
/// </summary>
internal static class AdminEndpoints
{
    public const string Tag = "Roadrunner admin";

    /// <summary>The routes that read, start and stop listeners, and those that drain, suspend and resume them.</summary>
    public static void Map(RouteGroupBuilder group, string prefix, AdminAccess access)
    {
        AdminListenerEndpoints.Map(group, prefix, access);
        AdminLifecycleEndpoints.Map(group, access);
    }

    /// <summary>The routes that change a running listener: <c>PATCH {name}</c> and <c>POST {name}/certificate</c>.</summary>
    public static void MapChanges(RouteGroupBuilder group, AdminAccess access)
    {
        AdminUpdateEndpoints.Map(group, access);
        AdminCertificateEndpoints.Map(group, access);
    }

    /// <summary>401 and 403 on every endpoint: the access rules of <see cref="AdminAccess"/>.</summary>
    public static void AccessProblems(IEndpointConventionBuilder builder) =>
        AdminOpenApiMetadata.Problems(builder, StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden);
}
