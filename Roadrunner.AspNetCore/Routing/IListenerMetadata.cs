namespace Roadrunner.AspNetCore;

/// <summary>
/// Endpoint metadata restricting an endpoint to requests that arrived on the named listeners. Elsewhere the
/// endpoint does not match, so the request gets a 404 as if it did not exist.
/// </summary>
public interface IListenerMetadata
{
    /// <summary>The listeners the endpoint answers on (case-insensitive). Empty means any.</summary>
    IReadOnlyList<string> ListenerNames { get; }
}
