using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Roadrunner.AspNetCore.Listeners;

/// <summary>
/// Whether a certificate can serve TLS: a private key, inside its validity period, and (if it has an Enhanced Key Usage
/// extension) marked for server authentication — the rule plain Kestrel applies. A certificate failing these loads
/// fine and then fails every validating client, so it is refused at start instead.
/// </summary>
internal static class ServerCertificateCheck
{
    public const string ServerAuthenticationOid = "1.3.6.1.5.5.7.3.1";

    /// <summary>Why the certificate cannot serve TLS, as a sentence that follows "the certificate 'CN=…' (thumbprint …)"; null if it can.</summary>
    public static string? Problem(X509Certificate2 certificate, DateTimeOffset now)
    {
        if (!certificate.HasPrivateKey)
        {
            return "has no private key, which a TLS server needs. Use a .pfx exported with its private key, or a PEM certificate with CertificateKeyPath.";
        }

        var notAfter = certificate.NotAfter.ToUniversalTime();
        if (notAfter < now.UtcDateTime)
        {
            return $"expired: it was valid until {Iso(notAfter)} (now {Iso(now.UtcDateTime)}). Renew it.";
        }

        var notBefore = certificate.NotBefore.ToUniversalTime();
        if (notBefore > now.UtcDateTime)
        {
            return $"is not valid yet: it is valid from {Iso(notBefore)} (now {Iso(now.UtcDateTime)}). Check the system clock or the certificate's dates.";
        }

        // No EKU extension means any usage.
        var extensions = certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().ToList();
        var usages = extensions.SelectMany(e => e.EnhancedKeyUsages.Cast<Oid>()).ToList();
        if (extensions.Count > 0 && !usages.Any(u => u.Value == ServerAuthenticationOid))
        {
            var listed = usages.Count == 0 ? "nothing" : string.Join(", ", usages.Select(u => string.IsNullOrEmpty(u.FriendlyName) ? u.Value : $"{u.FriendlyName} ({u.Value})"));
            return $"is not for servers: its Enhanced Key Usage lists {listed} but not Server Authentication ({ServerAuthenticationOid}), so TLS clients refuse it. Use a certificate issued for server authentication.";
        }

        return null;
    }

    /// <summary>How messages name a certificate.</summary>
    public static string Describe(X509Certificate2 certificate) => $"'{certificate.Subject}' (thumbprint {certificate.Thumbprint})";

    private static string Iso(DateTime utc) => utc.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
