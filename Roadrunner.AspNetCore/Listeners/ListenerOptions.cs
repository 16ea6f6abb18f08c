using System.Security.Cryptography.X509Certificates;

namespace Roadrunner.AspNetCore;

/// <summary>
/// How one named listener binds and serves. Bound from configuration section
/// <c>Roadrunner:Listeners:{name}</c>, or built in code and passed to <see cref="IListenerManager.StartAsync"/>.
/// </summary>
public sealed class ListenerOptions
{
    /// <summary>
    /// The IP address to bind. Defaults to <c>127.0.0.1</c>: binding every interface is a deliberate choice
    /// (<c>0.0.0.0</c> or <c>::</c>).
    /// </summary>
    public string Address { get; set; } = "127.0.0.1";

    /// <summary>The TCP port, 0–65535. 0 (the default) asks the operating system for a free port.</summary>
    public int Port { get; set; }

    /// <summary>The HTTP versions served. Defaults to <see cref="ListenerProtocols.Http1"/>.</summary>
    public ListenerProtocols Protocols { get; set; } = ListenerProtocols.Http1;

    /// <summary>
    /// Serve HTTPS. Requires a certificate: <see cref="Certificate"/>, <see cref="CertificatePath"/> or
    /// <see cref="CertificateSubject"/>.
    /// </summary>
    public bool UseTls { get; set; }

    /// <summary>The server certificate (with private key), when configured in code.</summary>
    public X509Certificate2? Certificate { get; set; }

    /// <summary>
    /// Path of the server certificate: a PKCS#12 (.pfx/.p12) file, or a PEM certificate when
    /// <see cref="CertificateKeyPath"/> is set.
    /// </summary>
    public string? CertificatePath { get; set; }

    /// <summary>Password of the PKCS#12 file or of the encrypted PEM key.</summary>
    public string? CertificatePassword { get; set; }

    /// <summary>Path of the PEM private key that goes with a PEM <see cref="CertificatePath"/>.</summary>
    public string? CertificateKeyPath { get; set; }

    /// <summary>Subject name of a certificate to load from an X.509 store instead of a file.</summary>
    public string? CertificateSubject { get; set; }

    /// <summary>The store searched for <see cref="CertificateSubject"/>. Defaults to <see cref="StoreName.My"/>.</summary>
    public StoreName CertificateStoreName { get; set; } = StoreName.My;

    /// <summary>The store location searched for <see cref="CertificateSubject"/>. Defaults to <see cref="StoreLocation.CurrentUser"/>.</summary>
    public StoreLocation CertificateStoreLocation { get; set; } = StoreLocation.CurrentUser;

    /// <summary>
    /// The most connections this listener keeps open at once; <see langword="null"/> (the default, as in
    /// Kestrel) means no limit. A connection over the cap is accepted and closed at once without a byte
    /// written, and counted in <see cref="ListenerInfo.ConnectionsRejected"/>.
    /// </summary>
    public int? MaxConnections { get; set; }

    /// <summary>What happens at the <see cref="MaxConnections"/> cap. Defaults to <see cref="MaxConnectionsBehavior.Close"/>.</summary>
    public MaxConnectionsBehavior MaxConnectionsBehavior { get; set; }

    /// <summary>
    /// Spreads a hard drain's signal to the listener's long-lived requests (WebSocket, SSE, long-poll: anything
    /// still running when the drain starts) uniformly over this window, so their clients do not all reconnect
    /// elsewhere in the same instant. The listen socket still closes at once and short requests are told at once.
    /// The window is bounded to half the time left until the drain's deadline. <see langword="null"/> (the default)
    /// takes <see cref="RoadrunnerOptions.DrainSpread"/>; <see cref="TimeSpan.Zero"/> tells everyone at once.
    /// </summary>
    public TimeSpan? DrainSpread { get; set; }

    /// <summary>
    /// The order of this listener's drain on host shutdown: lower drains first, equal orders drain in parallel, and the
    /// next group starts when the previous one is done, within the same overall deadline. Defaults to 0; give an admin
    /// or health listener a higher order so it answers (readiness 503) until the others are drained.
    /// </summary>
    public int ShutdownOrder { get; set; }

    /// <summary>
    /// The largest request body, in bytes, on this listener; <see langword="null"/> (the default) keeps Kestrel's server-wide
    /// <c>KestrelServerLimits.MaxRequestBodySize</c> (30,000,000). A bigger body is answered 413 (Content-Length announced too
    /// big: before the handler reads; chunked or HTTP/2: when the read passes the limit). An endpoint's own
    /// <c>[RequestSizeLimit]</c>/<c>[DisableRequestSizeLimit]</c> still wins.
    /// </summary>
    public long? MaxRequestBodySize { get; set; }

    /// <summary>
    /// How long an HTTP/1.1 client may take to send a request's headers once its first byte arrived (the first request and
    /// each keep-alive one); <see langword="null"/> (the default) leaves only Kestrel's server-wide
    /// <c>KestrelServerLimits.RequestHeadersTimeout</c> (30 s). Enforced on Kestrel's one-second heartbeat, so it can only
    /// be shorter than the server-wide one; past it the connection is closed without a response. HTTP/2 keeps Kestrel's.
    /// </summary>
    public TimeSpan? RequestHeadersTimeout { get; set; }

    /// <summary>
    /// How long a connection may sit idle (no request in flight and no byte received) before it is closed gracefully;
    /// <see langword="null"/> (the default) leaves only Kestrel's server-wide <c>KestrelServerLimits.KeepAliveTimeout</c>
    /// (130 s). Enforced on Kestrel's one-second heartbeat, so it can only be shorter than the server-wide one.
    /// </summary>
    public TimeSpan? KeepAliveTimeout { get; set; }

    /// <summary>
    /// The most requests one connection may carry; <see langword="null"/> (the default) means no limit. On HTTP/1.1 the last
    /// allowed response carries <c>Connection: close</c>; on HTTP/2 the last allowed stream triggers a GOAWAY and streams
    /// the client still sends are refused (REFUSED_STREAM, safe to retry).
    /// </summary>
    public int? MaxRequestsPerConnection { get; set; }

    /// <summary>
    /// The slowest an HTTP/1.1 request body may arrive, after a grace period; <see langword="null"/> (the default) keeps
    /// Kestrel's server-wide <c>KestrelServerLimits.MinRequestBodyDataRate</c> (240 bytes/s after 5 s). A slower upload
    /// is cut as Kestrel cuts it (408 if the response has not started, else the connection is closed). Kestrel allows no
    /// per-request rate on HTTP/2: there the server-wide rate applies.
    /// </summary>
    public ListenerDataRate? MinRequestBodyDataRate { get; set; }

    /// <summary>
    /// The most requests in flight at once on this listener; <see langword="null"/> (the default) means no limit. Over it,
    /// HTTP/1.1 gets <c>503</c> with <c>Retry-After: 1</c> and HTTP/2 a REFUSED_STREAM reset; counted in
    /// <see cref="ListenerInfo.RequestsThrottled"/>.
    /// </summary>
    public int? MaxConcurrentRequests { get; set; }

    /// <summary>
    /// A per-client-IP token bucket; <see langword="null"/> (the default) means none. Over it the client gets <c>429</c> with
    /// <c>Retry-After</c> (whole seconds until a permit is back); counted in <see cref="ListenerInfo.RequestsRateLimited"/>.
    /// </summary>
    public ListenerRateLimit? RateLimit { get; set; }

    internal ListenerOptions Clone()
    {
        var clone = (ListenerOptions)MemberwiseClone();

        // The nested limits are mutable: a clone must not share them with the options it came from.
        clone.MinRequestBodyDataRate = MinRequestBodyDataRate is null ? null : MinRequestBodyDataRate with { };
        clone.RateLimit = RateLimit is null ? null : RateLimit with { };
        return clone;
    }
}
