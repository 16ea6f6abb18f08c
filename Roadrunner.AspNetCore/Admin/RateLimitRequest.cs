namespace Roadrunner.AspNetCore.Admin;

/// <summary><c>rateLimit</c> of a create or update body: <c>{"permitsPerSecond":n,"burst":n}</c>, both required.</summary>
internal sealed class RateLimitRequest
{
    /// <summary>Requests a client address gets back per second; at least 1.</summary>
    public int? PermitsPerSecond { get; init; }

    /// <summary>The most requests a client address may send at once; at least 1.</summary>
    public int? Burst { get; init; }
}
