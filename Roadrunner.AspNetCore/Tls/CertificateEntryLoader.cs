using Roadrunner.AspNetCore.Listeners;

namespace Roadrunner.AspNetCore.Tls;

/// <summary>
/// Builds <see cref="CertificateEntry"/> objects from a listener's options: the first <see cref="TlsGeneration"/> of a
/// listener (default certificate and every SNI certificate) and single entries from files (a replacement, a reload).
/// Separate from <see cref="ListenerTls"/> because loading is stateless and used at start, by replacement and by
/// reload alike, while the listener's TLS side owns the published generation and its lifecycle.
/// </summary>
internal static class CertificateEntryLoader
{
    /// <summary>Loads every certificate of a TLS listener into its first generation. On failure nothing is left.</summary>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">A certificate cannot be loaded or cannot serve; the message names the key.</exception>
    public static TlsGeneration LoadGeneration(string name, ListenerOptions options, DateTimeOffset now, ClientCertificatePolicy? policy)
    {
        var entries = new List<CertificateEntry>();
        try
        {
            var defaultSource = string.IsNullOrWhiteSpace(options.CertificatePath)
                ? null
                : new ListenerCertificate { Path = options.CertificatePath, Password = options.CertificatePassword, KeyPath = options.CertificateKeyPath };
            byte[] hash = [];
            var tlsOptions = CertificateLoader.CreateTlsOptions(
                name,
                options,
                now,
                () => defaultSource is null
                    ? CertificateLoader.Load(name, options, now)
                    : CertificateLoader.LoadFile(name, $"Roadrunner:Listeners:{name}:CertificatePath", defaultSource, out hash),
                out var owned,
                policy)!;
            var defaultEntry = new CertificateEntry(null, defaultSource, owned ?? options.Certificate!, owned is not null, tlsOptions, hash);
            entries.Add(defaultEntry);

            foreach (var (host, source) in options.SniCertificates ?? new Dictionary<string, ListenerCertificate>())
            {
                entries.Add(Load(name, options, host, source, now, policy));
            }

            return new TlsGeneration(defaultEntry, entries.Skip(1).ToList());
        }
        catch
        {
            foreach (var entry in entries)
            {
                entry.Release();
            }

            throw;
        }
    }

    /// <summary>Loads the entry of <paramref name="host"/> (<see langword="null"/>: the default certificate) from files.</summary>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The files do not load or the certificate cannot serve TLS.</exception>
    public static CertificateEntry Load(string name, ListenerOptions options, string? host, ListenerCertificate source, DateTimeOffset now, ClientCertificatePolicy? policy)
    {
        var key = KeyOf(name, host);
        var certificate = CertificateLoader.LoadFile(name, key, source, out var hash);
        try
        {
            var tlsOptions = CertificateLoader.CreateServerOptions(name, key, $" from '{source.Path}'", options, certificate, now, policy);
            return new CertificateEntry(host, source, certificate, owned: true, tlsOptions, hash);
        }
        catch
        {
            certificate.Dispose();
            throw;
        }
    }

    /// <summary>The configuration key of the path of <paramref name="host"/>'s certificate (<see langword="null"/>: the default one).</summary>
    public static string KeyOf(string name, string? host) =>
        host is null ? $"Roadrunner:Listeners:{name}:CertificatePath" : $"Roadrunner:Listeners:{name}:SniCertificates:{host}:Path";
}
