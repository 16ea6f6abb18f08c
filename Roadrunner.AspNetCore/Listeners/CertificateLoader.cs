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
    /// <param name="timeProvider">The clock validity periods are checked against; <see cref="TimeProvider.System"/> if null.</param>
    /// <exception cref="OptionsValidationException">The certificate cannot be loaded or cannot serve TLS; the message names the key.</exception>
    public static SslServerAuthenticationOptions? CreateTlsOptions(
        string name, ListenerOptions options, out X509Certificate2? ownedCertificate, TimeProvider? timeProvider = null)
    {
        var now = (timeProvider ?? TimeProvider.System).GetUtcNow();
        return CreateTlsOptions(name, options, now, () => Load(name, options, now), out ownedCertificate);
    }

    /// <summary>The same, with the loading step given: a seam to observe what happens to a loaded certificate.</summary>
    internal static SslServerAuthenticationOptions? CreateTlsOptions(
        string name, ListenerOptions options, DateTimeOffset now, Func<X509Certificate2> load, out X509Certificate2? ownedCertificate)
    {
        ownedCertificate = null;
        if (!options.UseTls)
        {
            return null;
        }

        var certificate = load();

        // A certificate passed in code belongs to the caller; one loaded here is ours until the listener takes it.
        var owned = !ReferenceEquals(certificate, options.Certificate);
        var handedOver = false;
        try
        {
            var key = $"Roadrunner:Listeners:{name}:{SourceKey(options)}";
            if (ServerCertificateCheck.Problem(certificate, now) is { } problem)
            {
                throw Invalid(name, $"{key}: the certificate {ServerCertificateCheck.Describe(certificate)}{From(options)} {problem}");
            }

            // Whatever the platform refuses here (a key it cannot use, a broken chain) is a configuration error too.
            SslStreamCertificateContext context;
            try
            {
                context = SslStreamCertificateContext.Create(certificate, additionalCertificates: null);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                throw Invalid(name, $"{key}: the certificate {ServerCertificateCheck.Describe(certificate)}{From(options)} cannot serve TLS: {ex.Message}");
            }

            var tlsOptions = new SslServerAuthenticationOptions
            {
                ServerCertificateContext = context,
                ApplicationProtocols = options.Protocols switch
                {
                    ListenerProtocols.Http1 => [SslApplicationProtocol.Http11],
                    ListenerProtocols.Http2 => [SslApplicationProtocol.Http2],
                    _ => [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11],
                },
                EnabledSslProtocols = SslProtocols.None, // Let the OS choose (TLS 1.2/1.3).
                ClientCertificateRequired = false,
            };

            if (owned)
            {
                ownedCertificate = certificate;
            }

            handedOver = true;
            return tlsOptions;
        }
        finally
        {
            if (owned && !handedOver)
            {
                certificate.Dispose();
            }
        }
    }

    /// <summary>The key of the certificate source, which messages name.</summary>
    private static string SourceKey(ListenerOptions options) =>
        options.Certificate is not null ? nameof(ListenerOptions.Certificate)
        : !string.IsNullOrWhiteSpace(options.CertificatePath) ? nameof(ListenerOptions.CertificatePath)
        : nameof(ListenerOptions.CertificateSubject);

    private static string From(ListenerOptions options) =>
        options.Certificate is not null ? string.Empty
        : !string.IsNullOrWhiteSpace(options.CertificatePath) ? $" from '{options.CertificatePath}'"
        : $" from {options.CertificateStoreLocation}/{options.CertificateStoreName}";

    private static X509Certificate2 Load(string name, ListenerOptions options, DateTimeOffset now)
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

        return LoadFromStore(name, options, now);
    }

    private static X509Certificate2 LoadFromStore(string name, ListenerOptions options, DateTimeOffset now)
    {
        var key = $"Roadrunner:Listeners:{name}:CertificateSubject";
        var where = $"{options.CertificateStoreLocation}/{options.CertificateStoreName}";
        X509Certificate2Collection all;
        using (var store = new X509Store(options.CertificateStoreName, options.CertificateStoreLocation))
        {
            try
            {
                store.Open(OpenFlags.ReadOnly | OpenFlags.OpenExistingOnly);
                all = store.Certificates;
            }
            catch (CryptographicException ex)
            {
                throw Invalid(name, $"{key}: cannot open store {where}: {ex.Message}");
            }
        }

        // Every certificate the store hands out is a new object: all but the one returned are disposed here.
        X509Certificate2? match = null;
        try
        {
            var found = all.Find(X509FindType.FindBySubjectName, options.CertificateSubject!, validOnly: false);
            try
            {
                var withKey = found.Where(c => c.HasPrivateKey).OrderByDescending(c => c.NotAfter).ToList();

                // Prefer one that can serve; otherwise return the newest, whose check then says what is wrong with it.
                match = withKey.FirstOrDefault(c => ServerCertificateCheck.Problem(c, now) is null) ?? withKey.FirstOrDefault();
                return match ?? throw Invalid(name, $"{key}: no certificate with a private key and subject '{options.CertificateSubject}' in {where}" +
                    (found.Count > 0 ? $" ({found.Count} found without one)." : "."));
            }
            finally
            {
                DisposeAllBut(found, match);
            }
        }
        finally
        {
            DisposeAllBut(all, match);
        }
    }

    private static void DisposeAllBut(X509Certificate2Collection certificates, X509Certificate2? keep)
    {
        foreach (var certificate in certificates)
        {
            if (!ReferenceEquals(certificate, keep))
            {
                certificate.Dispose();
            }
        }
    }

    private static OptionsValidationException Invalid(string name, string message) =>
        new(name, typeof(ListenerOptions), [message]);
}
