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

    internal ListenerOptions Clone()
    {
        var clone = (ListenerOptions)MemberwiseClone();
        clone.TrustedProxies = TrustedProxies is null ? null : [.. TrustedProxies]; // A list the caller changes later must not reach a running listener.
        return clone;
    }
}
