namespace Roadrunner.AspNetCore.Listeners;

/// <summary>
/// The checks of a listener's TLS: the server certificate's source (exactly one, and only with <c>UseTls</c>), its files,
/// the poll interval and a code certificate's validity; then the SNI certificates
/// (<see cref="ListenerSniValidation"/>) and the client certificate options (<see cref="ListenerClientCertificateValidation"/>).
/// Called by <see cref="ListenerOptionsValidator"/>.
/// </summary>
internal static class ListenerTlsValidation
{
    /// <param name="prefix">The listener's key prefix, <c>Roadrunner:Listeners:{name}:</c>.</param>
    /// <param name="options">The options checked.</param>
    /// <param name="timeProvider">The clock a code certificate's validity period is checked against.</param>
    /// <param name="failures">Where the messages go.</param>
    public static void Validate(string prefix, ListenerOptions options, TimeProvider timeProvider, List<string> failures)
    {
        var sources = (options.Certificate is not null ? 1 : 0)
            + (string.IsNullOrWhiteSpace(options.CertificatePath) ? 0 : 1)
            + (string.IsNullOrWhiteSpace(options.CertificateSubject) ? 0 : 1);

        if (options.UseTls && sources == 0)
        {
            failures.Add($"{prefix}UseTls: TLS needs a server certificate: set Certificate (code), CertificatePath (+ CertificatePassword or CertificateKeyPath), or CertificateSubject (store).");
        }
        else if (!options.UseTls && sources > 0)
        {
            failures.Add($"{prefix}UseTls: a certificate is configured but UseTls is false; set UseTls: true to serve HTTPS, or remove the certificate.");
        }

        if (sources > 1)
        {
            failures.Add($"{prefix}Certificate: set only one of Certificate, CertificatePath and CertificateSubject.");
        }

        if (!string.IsNullOrWhiteSpace(options.CertificatePath) && !File.Exists(options.CertificatePath))
        {
            failures.Add($"{prefix}CertificatePath: file '{options.CertificatePath}' does not exist or cannot be read.");
        }

        if (!string.IsNullOrWhiteSpace(options.CertificateKeyPath))
        {
            if (string.IsNullOrWhiteSpace(options.CertificatePath))
            {
                failures.Add($"{prefix}CertificateKeyPath: needs CertificatePath (the PEM certificate).");
            }
            else if (!File.Exists(options.CertificateKeyPath))
            {
                failures.Add($"{prefix}CertificateKeyPath: file '{options.CertificateKeyPath}' does not exist or cannot be read.");
            }
        }

        ValidateReload(prefix, options, failures);
        ListenerSniValidation.Validate(prefix, options, failures);
        ListenerClientCertificateValidation.Validate(prefix, options, failures);

        // Files and stores are checked the same way once loaded (CertificateLoader); a code certificate can be checked now.
        if (options.Certificate is { } certificate && ServerCertificateCheck.Problem(certificate, timeProvider.GetUtcNow()) is { } problem)
        {
            failures.Add($"{prefix}Certificate: the certificate {ServerCertificateCheck.Describe(certificate)} {problem}");
        }
    }

    private static void ValidateReload(string prefix, ListenerOptions options, List<string> failures)
    {
        if (options.CertificatePollInterval < TimeSpan.Zero)
        {
            failures.Add($"{prefix}CertificatePollInterval: must not be negative (got {options.CertificatePollInterval}); 0 turns polling off (file notifications still reload).");
        }
    }
}
