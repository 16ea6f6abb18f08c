using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Mvc.Filters;

namespace Roadrunner.Example.Admin;

/// <summary>
/// When configuration <c>Admin:ApiKey</c> is set (non-empty), every admin request must carry it in the
/// <c>X-Api-Key</c> header, else 401. Runs as an authorization filter: before model binding reads the body.
/// </summary>
public sealed class ApiKeyFilter(IConfiguration configuration) : IAuthorizationFilter
{
    public const string HeaderName = "X-Api-Key";
    public const string ConfigurationKey = "Admin:ApiKey";

    public void OnAuthorization(AuthorizationFilterContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var expected = configuration[ConfigurationKey];
        if (string.IsNullOrEmpty(expected))
        {
            return;
        }

        var provided = context.HttpContext.Request.Headers[HeaderName];
        if (provided.Count == 1 && Matches(provided[0] ?? string.Empty, expected))
        {
            return;
        }

        context.HttpContext.Response.Headers.WWWAuthenticate = $"ApiKey header=\"{HeaderName}\"";
        context.Result = AdminProblems.Create(
            context.HttpContext,
            StatusCodes.Status401Unauthorized,
            provided.Count == 0
                ? $"The admin API needs the {HeaderName} header."
                : $"The {HeaderName} header does not match the configured key.");
    }

    /// <summary>
    /// Constant-time comparison. Both sides are hashed first so that neither the time taken nor an early exit on
    /// different lengths tells a caller anything about the key (FixedTimeEquals only hides content, not length).
    /// </summary>
    private static bool Matches(string provided, string expected) =>
        CryptographicOperations.FixedTimeEquals(
            SHA256.HashData(Encoding.UTF8.GetBytes(provided)),
            SHA256.HashData(Encoding.UTF8.GetBytes(expected)));
}
