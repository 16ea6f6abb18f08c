namespace Roadrunner.AspNetCore;

/// <summary>
/// A per-client-IP token bucket: each client address may send <see cref="Burst"/> requests at once, and gets
/// <see cref="PermitsPerSecond"/> back per second, refilled continuously. Bound from <c>Roadrunner:Listeners:{name}:RateLimit:PermitsPerSecond</c>
/// and <c>...:Burst</c>.
/// </summary>
/// <remarks>JSON: <c>{"permitsPerSecond","burst"}</c>.</remarks>
public sealed record ListenerRateLimit
{
    /// <summary>Requests a client address gets back per second (refilled continuously, on a 100 ms tick); at least 1.</summary>
    public int PermitsPerSecond { get; set; }

    /// <summary>The bucket's size: the most requests a client address may send at once; at least 1.</summary>
    public int Burst { get; set; }
}
