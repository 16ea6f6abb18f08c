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

    internal ListenerOptions Clone() => (ListenerOptions)MemberwiseClone();
}
