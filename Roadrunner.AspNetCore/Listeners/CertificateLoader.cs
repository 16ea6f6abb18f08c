using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Options;

namespace Roadrunner.AspNetCore.Listeners;

/// <summary>Builds a listener's TLS options from its certificate source, once, at start.</summary>
internal static class CertificateLoader
{
    /// <param name="name">The listener.</param>
    /// <param name="options">Its options.</param>
    /// <param name="ownedCertificate">A certificate loaded here (file or store), which the listener disposes when done.</param>
    public static SslServerAuthenticationOptions? CreateTlsOptions(string name, ListenerOptions options, out X509Certificate2? ownedCertificate)
    {
        ownedCertificate = null;
        if (!options.UseTls)
        {
            return null;
        }

        var certificate = Load(name, options);
        if (!ReferenceEquals(certificate, options.Certificate))
        {
            ownedCertificate = certificate;
        }

        return new SslServerAuthenticationOptions
        {
            ServerCertificateContext = SslStreamCertificateContext.Create(certificate, additionalCertificates: null),
            ApplicationProtocols = options.Protocols switch
            {
                ListenerProtocols.Http1 => [SslApplicationProtocol.Http11],
                ListenerProtocols.Http2 => [SslApplicationProtocol.Http2],
                _ => [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11],
            },
            EnabledSslProtocols = SslProtocols.None, // Let the OS choose (TLS 1.2/1.3).
            ClientCertificateRequired = false,
        };
    }

    private static X509Certificate2 Load(string name, ListenerOptions options)
    {
        if (options.Certificate is { } certificate)
        {
            return certificate;
        }

        var prefix = $"Roadrunner:Listeners:{name}:";
        if (!string.IsNullOrWhiteSpace(options.CertificatePath))
        {
            try
            {
                if (!string.IsNullOrWhiteSpace(options.CertificateKeyPath))
                {
                    return string.IsNullOrEmpty(options.CertificatePassword)
                        ? X509Certificate2.CreateFromPemFile(options.CertificatePath, options.CertificateKeyPath)
                        : X509Certificate2.CreateFromEncryptedPemFile(options.CertificatePath, options.CertificatePassword, options.CertificateKeyPath);
                }

                return X509CertificateLoader.LoadPkcs12FromFile(options.CertificatePath, options.CertificatePassword);
            }
            catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
            {
                throw Invalid(name, $"{prefix}CertificatePath: cannot load '{options.CertificatePath}': {ex.Message.TrimEnd('.')}. A .pfx needs the right CertificatePassword; a PEM certificate needs CertificateKeyPath.");
            }
        }

        using var store = new X509Store(options.CertificateStoreName, options.CertificateStoreLocation);
        try
        {
            store.Open(OpenFlags.ReadOnly | OpenFlags.OpenExistingOnly);
        }
        catch (CryptographicException ex)
        {
            throw Invalid(name, $"{prefix}CertificateSubject: cannot open store {options.CertificateStoreLocation}/{options.CertificateStoreName}: {ex.Message}");
        }

        var found = store.Certificates.Find(X509FindType.FindBySubjectName, options.CertificateSubject!, validOnly: false);
        var match = found.Where(c => c.HasPrivateKey).OrderByDescending(c => c.NotAfter).FirstOrDefault();
        return match ?? throw Invalid(name, $"{prefix}CertificateSubject: no certificate with a private key and subject '{options.CertificateSubject}' in {options.CertificateStoreLocation}/{options.CertificateStoreName}.");
    }

    private static OptionsValidationException Invalid(string name, string message) =>
        new(name, typeof(ListenerOptions), [message]);
}
