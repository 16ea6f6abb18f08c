using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Roadrunner.AspNetCore.Diagnostics;

namespace Roadrunner.AspNetCore.Admin;

/// <summary>
/// Who may call the admin and dashboard endpoints, and the audit trail of what they changed. Every endpoint's
/// <see cref="RequestDelegate"/> is built by <see cref="Wrap"/>: access is decided before the handler reads anything, and a
/// mutating call is logged (id 65) and raised as <see cref="RoadrunnerEvents.AdminAction"/> with its final status, refused
/// or not.
/// </summary>
/// <remarks>
/// Rules, in order: a configured <see cref="RoadrunnerAdminOptions.ApiKey"/> is required on every request (401 without it);
/// otherwise endpoint authorization metadata (<c>RequireAuthorization</c>, <c>[Authorize]</c>) hands the decision to ASP.NET
/// Core's authorization middleware, which ran before the endpoint; otherwise only loopback clients are answered (403).
/// </remarks>
internal sealed class AdminAccess
{
    /// <summary><see cref="HttpContext.Items"/> key under which a handler names the listener a call was about.</summary>
    public const string ListenerItemKey = "Roadrunner.Admin.Listener";

    private readonly IOptionsMonitor<RoadrunnerAdminOptions> _options;
    private readonly RoadrunnerDiagnostics _diagnostics;
    private readonly ILogger _logger;
    private readonly LogThrottle _refusals;
    private readonly Lock _refusalsLock = new();

    public AdminAccess(IOptionsMonitor<RoadrunnerAdminOptions> options, RoadrunnerDiagnostics diagnostics, ILoggerFactory loggerFactory, TimeProvider timeProvider)
    {
        _options = options;
        _diagnostics = diagnostics;
        _logger = loggerFactory.CreateLogger(AdminLog.Category);
        _refusals = new LogThrottle(timeProvider, TimeSpan.FromSeconds(60));
    }

    public ILogger Logger => _logger;

    /// <summary>Whether the API key is set (then it guards every endpoint, whatever the metadata says).</summary>
    public bool HasApiKey => !string.IsNullOrEmpty(_options.CurrentValue.ApiKey);

    /// <summary>Endpoint metadata that hands access to ASP.NET Core authorization.</summary>
    public static bool HasAuthorization(IReadOnlyList<object> metadata)
    {
        var authorize = false;
        foreach (var item in metadata)
        {
            if (item is IAllowAnonymous)
            {
                return false;
            }

            authorize |= item is IAuthorizeData or AuthorizationPolicy or IAuthorizationRequirementData;
        }

        return authorize;
    }

    /// <summary>
    /// The request delegate of one endpoint: access check, handler, result, audit. <paramref name="action"/> is the audited
    /// name of a mutating endpoint, <see langword="null"/> for reads.
    /// </summary>
    public RequestDelegate Wrap(string? action, Func<HttpContext, Task<IResult>> handler) => async context =>
    {
        var (principal, refusal) = Check(context);
        var result = refusal ?? await handler(context).ConfigureAwait(false);
        await result.ExecuteAsync(context).ConfigureAwait(false);
        if (action is not null)
        {
            Audit(context, action, principal);
        }
    };

    private (string Principal, IResult? Refusal) Check(HttpContext context)
    {
        var user = context.User.Identity is { IsAuthenticated: true } identity ? identity.Name ?? "(authenticated user)" : null;
        var key = _options.CurrentValue.ApiKey;
        if (!string.IsNullOrEmpty(key))
        {
            var provided = context.Request.Headers[RoadrunnerAdminOptions.ApiKeyHeaderName];
            if (provided.Count == 1 && Matches(provided[0] ?? string.Empty, key))
            {
                return (user ?? KeyId(key), null);
            }

            context.Response.Headers.WWWAuthenticate = $"ApiKey header=\"{RoadrunnerAdminOptions.ApiKeyHeaderName}\"";
            return ("anonymous", AdminProblems.Create(
                StatusCodes.Status401Unauthorized,
                provided.Count == 0
                    ? $"The admin API needs the {RoadrunnerAdminOptions.ApiKeyHeaderName} header."
                    : $"The {RoadrunnerAdminOptions.ApiKeyHeaderName} header does not match the configured key."));
        }

        if (context.GetEndpoint() is { } endpoint && HasAuthorization(endpoint.Metadata))
        {
            return (user ?? "anonymous", null);
        }

        // No IP peer (a Unix socket, an in-memory test server) is local by construction.
        var remote = context.Connection.RemoteIpAddress;
        if (remote is null || IPAddress.IsLoopback(remote))
        {
            return (user ?? "anonymous", null);
        }

        int count;
        bool report;
        lock (_refusalsLock)
        {
            report = _refusals.TryReport(out count);
        }

        if (report)
        {
            AdminLog.AdminRemoteRefused(_logger, count, (int)_refusals.Interval.TotalSeconds, context.Request.Method, context.Request.Path.ToString(), Peer(context));
        }

        return ("anonymous", AdminProblems.Create(
            StatusCodes.Status403Forbidden,
            "The admin endpoints answer loopback clients only: the app configured neither authorization on them (RequireAuthorization) nor an API key (Roadrunner:Admin:ApiKey)."));
    }

    private void Audit(HttpContext context, string action, string principal)
    {
        var listener = context.Items.TryGetValue(ListenerItemKey, out var item) ? item as string : context.Request.RouteValues["name"] as string;
        var status = context.RequestAborted.IsCancellationRequested && !context.Response.HasStarted ? 499 : context.Response.StatusCode;
        var peer = Peer(context);
        var method = context.Request.Method;
        var path = context.Request.Path.ToString();
        AdminLog.AdminAction(_logger, action, listener is null ? null : AdminProblems.Printable(listener), principal, peer, status, method, path);
        _diagnostics.Write(
            RoadrunnerEvents.AdminAction,
            (action, listener, principal, peer, method, path, status),
            static s => new AdminActionEvent(s.action, s.listener, s.principal, s.peer, s.method, s.path, s.status));
    }

    private static string? Peer(HttpContext context) =>
        context.Connection.RemoteIpAddress is { } address
            ? new IPEndPoint(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address, context.Connection.RemotePort).ToString()
            : null;

    /// <summary>A key id for the audit trail: the first 8 hex digits of the key's SHA-256, never the key.</summary>
    private static string KeyId(string key) =>
        "api-key:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)).AsSpan(0, 4)).ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// Constant-time comparison. Both sides are hashed first so that neither the time taken nor an early exit on different
    /// lengths tells a caller anything about the key (FixedTimeEquals only hides content, not length).
    /// </summary>
    private static bool Matches(string provided, string expected) =>
        CryptographicOperations.FixedTimeEquals(
            SHA256.HashData(Encoding.UTF8.GetBytes(provided)),
            SHA256.HashData(Encoding.UTF8.GetBytes(expected)));
}
