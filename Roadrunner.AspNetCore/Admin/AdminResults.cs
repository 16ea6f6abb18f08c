using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Roadrunner.AspNetCore.Admin;

/// <summary>
/// The success answers the admin handlers share (the problems are <see cref="AdminProblems"/>): a listener as JSON
/// through the source-generated <see cref="AdminJsonContext"/>.
/// </summary>
internal static class AdminResults
{
    /// <summary>200 with the listener.</summary>
    public static JsonHttpResult<ListenerInfo> Ok(ListenerInfo info) => TypedResults.Json(info, AdminJsonContext.Info<ListenerInfo>());
}
