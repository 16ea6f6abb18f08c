using System.Net;
using System.Net.Sockets;

namespace Roadrunner.AspNetCore.Listeners;

/// <summary>
/// Projects a <see cref="RuntimeListener"/>'s current state into the public <see cref="ListenerInfo"/> snapshot. Kept
/// apart from the listener because it is a pure read of its options, counters and TLS state into a record (copying the
/// mutable option values, so a caller cannot reach into the running listener), not part of the listener's lifecycle.
/// </summary>
internal static class ListenerInfoBuilder
{
    /// <summary>The listener as it is now; a Unix domain socket listener shows its address with the unix: prefix.</summary>
    public static ListenerInfo Build(RuntimeListener listener)
    {
        var info = NewInfo(listener);
        return listener.EndPoint is UnixDomainSocketEndPoint unix ? info with { Address = UnixSocketAddress.Prefix + unix } : info;
    }

    private static ListenerInfo NewInfo(RuntimeListener listener) => new()
    {
        Name = listener.Name,
        EndPoint = listener.EndPoint as IPEndPoint ?? new IPEndPoint(IPAddress.Any, 0),
        Scheme = listener.Tls is null ? "http" : "https",
        Protocols = listener.Options.Protocols,
        Status = listener.Status,
        ActiveConnections = listener.ActiveConnections,
        MaxConnections = listener.Options.MaxConnections,
        RequestsServed = listener.RequestsServed,
        ConnectionsRejected = listener.ConnectionsRejected,
        StartedAt = listener.StartedAt,
        MaxConnectionsBehavior = listener.Options.MaxConnectionsBehavior,
        MaxRequestBodySize = listener.Options.MaxRequestBodySize,
        RequestHeadersTimeout = listener.Options.RequestHeadersTimeout,
        KeepAliveTimeout = listener.Options.KeepAliveTimeout,
        MaxRequestsPerConnection = listener.Options.MaxRequestsPerConnection,
        MinRequestBodyDataRate = listener.Options.MinRequestBodyDataRate is { } rate ? rate with { } : null,
        MaxConcurrentRequests = listener.Options.MaxConcurrentRequests,
        RateLimit = listener.Options.RateLimit is { } limit ? limit with { } : null,
        RequestsThrottled = listener.Limits.Throttled,
        RequestsRateLimited = listener.Limits.RateLimited,
        ProxyProtocol = listener.Options.ProxyProtocol,
        ProxyProtocolRejected = listener.ProxyProtocolRejected,
        TrustedProxies = listener.Options.TrustedProxies is { Count: > 0 } trusted ? [.. trusted] : null,
        Certificate = listener.Tls?.CertificateInfo,
        ClientCertificateMode = listener.Tls is null ? null : listener.Options.ClientCertificateMode,
        ClientCertificatesRejected = listener.Tls?.ClientPolicy?.Rejected ?? 0,
        CertificateReloadError = listener.Tls?.ReloadProblem,
    };
}
