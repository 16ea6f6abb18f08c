using Roadrunner.AspNetCore;

namespace Roadrunner.Bench.Server;

/// <summary>
/// The `limits` scenario's listener: every per-listener limit set, each generous enough that wrk's load from one client
/// address never reaches it, so every check runs on every request and none refuses one.
/// </summary>
internal static class BenchLimits
{
    public static ListenerOptions EveryLimitGenerous() => new()
    {
        MaxConnections = 100_000,
        MaxConnectionsBehavior = MaxConnectionsBehavior.ServiceUnavailable,
        MaxRequestBodySize = 100 * 1024 * 1024,
        RequestHeadersTimeout = TimeSpan.FromSeconds(30),
        KeepAliveTimeout = TimeSpan.FromSeconds(120),
        MaxRequestsPerConnection = int.MaxValue,
        MinRequestBodyDataRate = new ListenerDataRate { BytesPerSecond = 1, GracePeriod = TimeSpan.FromSeconds(30) },
        MaxConcurrentRequests = 100_000,
        RateLimit = new ListenerRateLimit { PermitsPerSecond = 100_000_000, Burst = 100_000_000 },
    };
}
