using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Roadrunner.AspNetCore.Tls;

/// <summary>
/// One server certificate of a listener (its default one, or the one of an SNI host pattern) with the TLS options that
/// present it. Reference-counted: every <see cref="TlsGeneration"/> that contains it holds one reference, so an entry
/// unchanged by a reload is shared by the old and the new generation, and the certificate is disposed (when the
/// library loaded it) only once the last generation using it is retired.
/// </summary>
internal sealed class CertificateEntry
{
    private readonly bool _owned;
    private int _references = 1;

    /// <param name="host">The SNI host pattern, or <see langword="null"/> for the default certificate.</param>
    /// <param name="source">The files it came from; <see langword="null"/> for a code or store certificate (not reloaded).</param>
    /// <param name="certificate">The certificate.</param>
    /// <param name="owned">Whether the library loaded it (and so disposes it); a code certificate belongs to the caller.</param>
    /// <param name="options">The TLS options presenting it.</param>
    /// <param name="contentHash">SHA-256 of the files' bytes it was loaded from; empty when it has no files.</param>
    public CertificateEntry(string? host, ListenerCertificate? source, X509Certificate2 certificate, bool owned, SslServerAuthenticationOptions options, byte[] contentHash)
    {
        Host = host;
        Source = source;
        Certificate = certificate;
        _owned = owned;
        Options = options;
        ContentHash = contentHash;

        // Read once: a snapshot taken later (ListenerInfo) must not touch a certificate a reload may be disposing.
        Info = new ListenerCertificateInfo(certificate.Thumbprint, certificate.Subject, new DateTimeOffset(certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero));
    }

    /// <summary>Thumbprint, subject and end of validity, as read when the entry was made.</summary>
    public ListenerCertificateInfo Info { get; }

    public string? Host { get; }

    public ListenerCertificate? Source { get; }

    public X509Certificate2 Certificate { get; }

    public SslServerAuthenticationOptions Options { get; }

    /// <summary>Updated when a file is rewritten with the same certificate, so it is not loaded again. Only under the reload lock.</summary>
    public byte[] ContentHash { get; set; }

    /// <summary>Whether the certificate has been disposed (for tests: nothing uses it any more).</summary>
    public bool IsDisposed => Volatile.Read(ref _references) == 0;

    public CertificateEntry AddReference()
    {
        Interlocked.Increment(ref _references);
        return this;
    }

    public void Release()
    {
        if (Interlocked.Decrement(ref _references) == 0 && _owned)
        {
            Certificate.Dispose();
        }
    }
}
