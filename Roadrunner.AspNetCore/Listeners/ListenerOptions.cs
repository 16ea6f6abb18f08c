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
        clone.SniCertificates = SniCertificates?.ToDictionary(e => e.Key, e => e.Value?.Clone()!, StringComparer.OrdinalIgnoreCase);
        clone.ClientCertificateAuthorityPaths = ClientCertificateAuthorityPaths?.ToList();
        clone.ClientCertificateThumbprints = ClientCertificateThumbprints?.ToList();
        return clone;
    }
}
