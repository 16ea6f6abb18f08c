using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace Roadrunner.AspNetCore;

/// <summary>
/// How one named listener binds and serves. Bound from configuration section
/// <c>Roadrunner:Listeners:{name}</c>, or built in code and passed to <see cref="IListenerManager.StartAsync"/>.
/// </summary>
public sealed class ListenerOptions
{
    /// <summary>
    /// The IP address to bind. Defaults to <c>127.0.0.1</c>: binding every interface is a deliberate choice
    /// (<c>0.0.0.0</c> or <c>::</c>). <c>unix:/absolute/path.sock</c> binds a Unix domain socket instead (then
    /// <see cref="Port"/> stays 0).
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

    /// <summary>
    /// Whether each connection starts with a PROXY protocol header, read before TLS and HTTP. With a valid header the
    /// connection's remote and local endpoints become the ones it carries (the real client), except for <c>LOCAL</c>
    /// headers (a proxy's health check), which keep the proxy's. A connection whose header is missing, malformed,
    /// oversized or slower than <see cref="ProxyProtocolHeaderTimeout"/> is closed without a byte and counted in
    /// <see cref="ListenerInfo.ProxyProtocolRejected"/>. Defaults to <see cref="ProxyProtocolMode.Off"/>, which reads nothing.
    /// </summary>
    public ProxyProtocolMode ProxyProtocol { get; set; }

    /// <summary>
    /// The proxies a PROXY protocol header is accepted from: IP addresses (<c>10.0.0.5</c>) or CIDR networks
    /// (<c>10.0.0.0/8</c>, <c>fd00::/8</c>). A connection from any other address is closed without a byte.
    /// <see langword="null"/> or empty (the default) accepts a header from everyone, so the listener must not be
    /// reachable except through the proxy. Only with <see cref="ProxyProtocol"/> on.
    /// </summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Usage", "CA2227", Justification = "An options POCO bound from configuration and set in code.")]
    public IList<string>? TrustedProxies { get; set; }

    /// <summary>
    /// How long a new connection may take to send its whole PROXY protocol header before it is closed.
    /// <see langword="null"/> (the default) means 5 seconds.
    /// </summary>
    public TimeSpan? ProxyProtocolHeaderTimeout { get; set; }

    /// <summary>
    /// The permissions of the socket file of a Unix domain socket listener (<see cref="Address"/>
    /// <c>unix:/path</c>), as octal digits like <c>chmod</c>'s: <c>"660"</c> lets the owner and the group connect.
    /// <see langword="null"/> (the default) keeps what the process's umask gives.
    /// </summary>
    public string? UnixSocketMode { get; set; }

    /// <summary>
    /// Watch the certificate files (<see cref="CertificatePath"/>, <see cref="CertificateKeyPath"/> and every
    /// <see cref="SniCertificates"/> file) and reload them when they change, the Kubernetes secret-volume layout (a
    /// <c>..data</c> symlink swapped atomically) included. New connections get the new certificate at once; open ones keep
    /// theirs. A file that does not load keeps the old certificate. Defaults to <see langword="true"/>.
    /// </summary>
    public bool ReloadCertificates { get; set; } = true;

    /// <summary>
    /// How often the certificate files are also compared by content, in case a file-system notification is missed
    /// (network file systems, watcher limits). Defaults to one minute; <see cref="TimeSpan.Zero"/> turns polling off.
    /// </summary>
    public TimeSpan CertificatePollInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// More server certificates by SNI host name: keys are host names (<c>api.example.com</c>) or wildcards
    /// (<c>*.example.com</c>, one label); a client whose SNI name matches none, or sends none (IP literals), gets the
    /// listener's default certificate. Exact names win over wildcards. <see langword="null"/> (the default): none.
    /// </summary>
    public IDictionary<string, ListenerCertificate>? SniCertificates { get; set; }

    /// <summary>
    /// Whether clients are asked for a certificate: <see cref="ClientCertificateMode.NoCertificate"/> (the default),
    /// <see cref="ClientCertificateMode.AllowCertificate"/> (optional, validated when sent) or
    /// <see cref="ClientCertificateMode.RequireCertificate"/> (the handshake fails without a valid one).
    /// <see cref="ClientCertificateMode.DelayCertificate"/> (renegotiation) is not supported.
    /// </summary>
    public ClientCertificateMode ClientCertificateMode { get; set; }

    /// <summary>
    /// PEM files of the certificate authorities client certificates must chain to (only these are trusted, not the
    /// system store). <see langword="null"/> or empty: the system trust store, unless <see cref="ClientCertificateThumbprints"/> is set.
    /// </summary>
    public IList<string>? ClientCertificateAuthorityPaths { get; set; }

    /// <summary>
    /// SHA-1 thumbprints (hex, case and spaces ignored) of the client certificates accepted. With
    /// <see cref="ClientCertificateAuthorityPaths"/> a certificate must chain to a trusted authority <em>and</em> be listed;
    /// alone, the listed certificates are pinned (self-signed ones too; only their validity period is checked).
    /// </summary>
    public IList<string>? ClientCertificateThumbprints { get; set; }

    /// <summary>
    /// Revocation checking of client certificates chained to an authority. Defaults to
    /// <see cref="X509RevocationMode.NoCheck"/>: <see cref="X509RevocationMode.Online"/> fetches CRLs/OCSP during the
    /// handshake (latency, and a handshake that fails when the CRL server is unreachable), so it is an explicit choice.
    /// </summary>
    public X509RevocationMode ClientCertificateRevocationMode { get; set; } = X509RevocationMode.NoCheck;

    internal ListenerOptions Clone()
    {
        var clone = (ListenerOptions)MemberwiseClone();

        // The nested limits are mutable: a clone must not share them with the options it came from.
        clone.MinRequestBodyDataRate = MinRequestBodyDataRate is null ? null : MinRequestBodyDataRate with { };
        clone.RateLimit = RateLimit is null ? null : RateLimit with { };
        clone.TrustedProxies = TrustedProxies is null ? null : [.. TrustedProxies]; // A list the caller changes later must not reach a running listener.
        clone.SniCertificates = SniCertificates?.ToDictionary(e => e.Key, e => e.Value?.Clone()!, StringComparer.OrdinalIgnoreCase);
        clone.ClientCertificateAuthorityPaths = ClientCertificateAuthorityPaths?.ToList();
        clone.ClientCertificateThumbprints = ClientCertificateThumbprints?.ToList();
        return clone;
    }
}
