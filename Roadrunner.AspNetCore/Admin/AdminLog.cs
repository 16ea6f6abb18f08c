using Microsoft.Extensions.Logging;

namespace Roadrunner.AspNetCore.Admin;

/// <summary>Log messages of the admin endpoints and the dashboard (category <c>Roadrunner.AspNetCore.Admin</c>). Ids 65–74; highest used: 68.</summary>
internal static partial class AdminLog
{
    public const string Category = "Roadrunner.AspNetCore.Admin";

    [LoggerMessage(65, LogLevel.Information, "Admin {Action} of listener '{ListenerName}' by {Principal} from {ClientAddress}: {StatusCode} ({Method} {Path}).", EventName = "AdminAction")]
    public static partial void AdminAction(ILogger logger, string action, string? listenerName, string principal, string? clientAddress, int statusCode, string method, string path);

    [LoggerMessage(66, LogLevel.Warning, "The Roadrunner admin endpoints under '{Prefix}' have no authorization and no API key: they answer loopback clients only (others get 403). To open them up securely, add .RequireAuthorization(...) to the route group MapRoadrunner{Kind} returns, or set Roadrunner:Admin:ApiKey (clients send it as X-Api-Key).", EventName = "AdminUnsecured")]
    public static partial void AdminUnsecured(ILogger logger, string prefix, string kind);

    [LoggerMessage(67, LogLevel.Warning, "Refused {Count} admin request(s) from non-loopback clients with 403 in the last {WindowSeconds} s, the latest {Method} {Path} from {ClientAddress}: without authorization or an API key the admin endpoints answer loopback clients only. Add .RequireAuthorization(...) or set Roadrunner:Admin:ApiKey.", EventName = "AdminRemoteRefused")]
    public static partial void AdminRemoteRefused(ILogger logger, int count, int windowSeconds, string method, string path, string? clientAddress);

    [LoggerMessage(68, LogLevel.Debug, "Dashboard stream {Count} opened or closed; {Open} open.", EventName = "DashboardStream")]
    public static partial void DashboardStream(ILogger logger, long count, int open);
}
