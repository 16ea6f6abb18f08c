namespace Roadrunner.AspNetCore;

/// <summary>
/// A certificate file of a TLS listener: a PKCS#12 (.pfx/.p12) file (+ <see cref="Password"/>), or a PEM certificate
/// with its PEM <see cref="KeyPath"/>. Used for <see cref="ListenerOptions.SniCertificates"/> and
/// <see cref="IListenerManager.ReplaceCertificateFromFileAsync"/>; files are
/// watched and reloaded when they change (see <see cref="ListenerOptions.ReloadCertificates"/>).
/// </summary>
public sealed class ListenerCertificate
{
    /// <summary>Path of the certificate: a PKCS#12 file, or a PEM certificate when <see cref="KeyPath"/> is set.</summary>
    public string? Path { get; set; }

    /// <summary>Password of the PKCS#12 file or of the encrypted PEM key.</summary>
    public string? Password { get; set; }

    /// <summary>Path of the PEM private key that goes with a PEM <see cref="Path"/>.</summary>
    public string? KeyPath { get; set; }

    internal ListenerCertificate Clone() => (ListenerCertificate)MemberwiseClone();
}
