using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Options;
using Roadrunner.AspNetCore.Tls;

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
        string name, ListenerOptions options, DateTimeOffset now, Func<X509Certificate2> load, out X509Certificate2? ownedCertificate, ClientCertificatePolicy? clientPolicy = null)
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
            var tlsOptions = CreateServerOptions(name, key, From(options), options, certificate, now, clientPolicy);

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

    /// <summary>
    /// The TLS options of one server certificate (a listener's default one, or one of its SNI names): the certificate is
    /// checked (<see cref="ServerCertificateCheck"/>), its chain built once (<see cref="SslStreamCertificateContext"/>), and
    /// the listener's ALPN list and client-certificate policy applied. The caller keeps ownership of the certificate.
    /// </summary>
    /// <exception cref="OptionsValidationException">The certificate cannot serve TLS; the message starts with <paramref name="key"/>.</exception>
    internal static SslServerAuthenticationOptions CreateServerOptions(
        string name, string key, string from, ListenerOptions options, X509Certificate2 certificate, DateTimeOffset now, ClientCertificatePolicy? clientPolicy)
    {
        if (ServerCertificateCheck.Problem(certificate, now) is { } problem)
        {
            throw Invalid(name, $"{key}: the certificate {ServerCertificateCheck.Describe(certificate)}{from} {problem}");
        }

        // Whatever the platform refuses here (a key it cannot use, a broken chain) is a configuration error too.
        SslStreamCertificateContext context;
        try
        {
            context = SslStreamCertificateContext.Create(certificate, additionalCertificates: null);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw Invalid(name, $"{key}: the certificate {ServerCertificateCheck.Describe(certificate)}{from} cannot serve TLS: {ex.Message}");
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
        clientPolicy?.Apply(tlsOptions);
        return tlsOptions;
    }

    /// <summary>
    /// Reads a certificate file (and its PEM key) once and loads the certificate from those bytes, so the content
    /// compared on reload (<paramref name="contentHash"/>) is exactly what was loaded.
    /// </summary>
    /// <param name="name">The listener.</param>
    /// <param name="key">The configuration key of <see cref="ListenerCertificate.Path"/>, which messages name.</param>
    /// <param name="source">The files.</param>
    /// <param name="contentHash">SHA-256 of the bytes read (also set when they do not load).</param>
    /// <exception cref="OptionsValidationException">The files cannot be read or do not load.</exception>
    internal static X509Certificate2 LoadFile(string name, string key, ListenerCertificate source, out byte[] contentHash)
    {
        contentHash = [];
        try
        {
            var certificateBytes = File.ReadAllBytes(source.Path!);
            var keyBytes = string.IsNullOrWhiteSpace(source.KeyPath) ? null : File.ReadAllBytes(source.KeyPath);
            contentHash = Hash(certificateBytes, keyBytes);
            if (keyBytes is not null)
            {
                var certificatePem = System.Text.Encoding.UTF8.GetString(certificateBytes);
                var keyPem = System.Text.Encoding.UTF8.GetString(keyBytes);
                return string.IsNullOrEmpty(source.Password)
                    ? X509Certificate2.CreateFromPem(certificatePem, keyPem)
                    : X509Certificate2.CreateFromEncryptedPem(certificatePem, keyPem, source.Password);
            }

            return X509CertificateLoader.LoadPkcs12(certificateBytes, source.Password);
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw Invalid(name, $"{key}: cannot load '{source.Path}'{(string.IsNullOrWhiteSpace(source.KeyPath) ? string.Empty : $" with key '{source.KeyPath}'")}: {ex.Message.TrimEnd('.')}. A .pfx needs the right password; a PEM certificate needs its PEM key (KeyPath), and both must be complete and belong together.");
        }
    }

    /// <summary>SHA-256 over the files' bytes: what reloads compare, so an unchanged file is not loaded again.</summary>
    internal static byte[] Hash(byte[] certificateBytes, byte[]? keyBytes)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(certificateBytes);
        if (keyBytes is not null)
        {
            hash.AppendData(keyBytes);
        }

        return hash.GetHashAndReset();
    }

    /// <summary>The key of the certificate source, which messages name.</summary>
    internal static string SourceKey(ListenerOptions options) =>
        options.Certificate is not null ? nameof(ListenerOptions.Certificate)
        : !string.IsNullOrWhiteSpace(options.CertificatePath) ? nameof(ListenerOptions.CertificatePath)
        : nameof(ListenerOptions.CertificateSubject);

    internal static string From(ListenerOptions options) =>
        options.Certificate is not null ? string.Empty
        : !string.IsNullOrWhiteSpace(options.CertificatePath) ? $" from '{options.CertificatePath}'"
        : $" from {options.CertificateStoreLocation}/{options.CertificateStoreName}";

    internal static X509Certificate2 Load(string name, ListenerOptions options, DateTimeOffset now)
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

    internal static OptionsValidationException Invalid(string name, string message) =>
        new(name, typeof(ListenerOptions), [message]);
}
