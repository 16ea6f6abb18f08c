namespace Roadrunner.AspNetCore;

/// <summary>
/// Options of the endpoints mapped by <c>MapRoadrunnerAdmin</c> and <c>MapRoadrunnerDashboard</c>, bound from configuration
/// section <c>Roadrunner:Admin</c> and validated at start-up.
/// </summary>
/// <remarks>
/// Who may call the endpoints: with <see cref="ApiKey"/> set, every request needs it in the <c>X-Api-Key</c> header
/// (401 otherwise), from any address. Without a key, a route group with authorization metadata
/// (<c>RequireAuthorization(...)</c>) is left to ASP.NET Core's authorization; a group with neither answers only
/// loopback clients (403 for others) and a warning is logged at start-up.
/// </remarks>
public sealed class RoadrunnerAdminOptions
{
    /// <summary>The configuration section the options are bound from.</summary>
    public const string SectionName = "Roadrunner:Admin";

    /// <summary>The request header that carries the key.</summary>
    public const string ApiKeyHeaderName = "X-Api-Key";

    /// <summary>
    /// The shared secret every request must carry in <c>X-Api-Key</c>; <see langword="null"/> or empty for none. At least
    /// 8 characters, without leading or trailing white space. Compared in constant time.
    /// </summary>
    public string? ApiKey { get; set; }
}
