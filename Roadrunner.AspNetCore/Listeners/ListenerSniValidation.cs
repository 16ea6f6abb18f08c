namespace Roadrunner.AspNetCore.Listeners;

/// <summary>
/// The checks of the certificates chosen by host name (<c>SniCertificates</c>): TLS on, valid and distinct host name
/// patterns, and certificate files that exist. Called by <see cref="ListenerTlsValidation"/>.
/// </summary>
internal static class ListenerSniValidation
{
    public static void Validate(string prefix, ListenerOptions options, List<string> failures)
    {
        if (options.SniCertificates is not { Count: > 0 } sni)
        {
            return;
        }

        if (!options.UseTls)
        {
            failures.Add($"{prefix}SniCertificates: certificates by host name need TLS; set UseTls: true with a default certificate, or remove SniCertificates.");
        }

        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (host, certificate) in sni)
        {
            var key = $"{prefix}SniCertificates:{host}";
            if (!Tls.SniHostPattern.IsValid(host))
            {
                failures.Add($"{key}: '{host}' is not a host name pattern. {Tls.SniHostPattern.Rule}");
            }
            else if (!seen.Add(host))
            {
                failures.Add($"{key}: the host name is given twice (host names are case-insensitive).");
            }

            if (certificate is null || string.IsNullOrWhiteSpace(certificate.Path))
            {
                failures.Add($"{key}:Path: a certificate file is required (a .pfx with Password, or a PEM certificate with KeyPath).");
                continue;
            }

            if (!File.Exists(certificate.Path))
            {
                failures.Add($"{key}:Path: file '{certificate.Path}' does not exist or cannot be read.");
            }

            if (!string.IsNullOrWhiteSpace(certificate.KeyPath) && !File.Exists(certificate.KeyPath))
            {
                failures.Add($"{key}:KeyPath: file '{certificate.KeyPath}' does not exist or cannot be read.");
            }
        }
    }
}
