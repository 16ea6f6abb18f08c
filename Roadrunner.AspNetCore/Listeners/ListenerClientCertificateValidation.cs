using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace Roadrunner.AspNetCore.Listeners;

/// <summary>
/// The checks of the client certificate options: the mode (and that it needs TLS), the trusted authorities' files, the
/// pinned thumbprints and the revocation mode. Called by <see cref="ListenerTlsValidation"/>.
/// </summary>
internal static class ListenerClientCertificateValidation
{
    public static void Validate(string prefix, ListenerOptions options, List<string> failures)
    {
        var mode = options.ClientCertificateMode;
        if (!Enum.IsDefined(mode) || mode == ClientCertificateMode.DelayCertificate)
        {
            failures.Add($"{prefix}ClientCertificateMode: '{mode}' is not one of NoCertificate, AllowCertificate, RequireCertificate (DelayCertificate needs TLS renegotiation, which HTTP/2 and TLS 1.3 do not have).");
        }
        else if (mode != ClientCertificateMode.NoCertificate && !options.UseTls)
        {
            failures.Add($"{prefix}ClientCertificateMode: client certificates need TLS; set UseTls: true with a server certificate.");
        }

        var asked = mode is ClientCertificateMode.AllowCertificate or ClientCertificateMode.RequireCertificate;
        if (options.ClientCertificateAuthorityPaths is { Count: > 0 } authorities)
        {
            if (!asked)
            {
                failures.Add($"{prefix}ClientCertificateAuthorityPaths: set ClientCertificateMode to AllowCertificate or RequireCertificate, or the authorities are never used.");
            }

            for (var i = 0; i < authorities.Count; i++)
            {
                if (string.IsNullOrWhiteSpace(authorities[i]) || !File.Exists(authorities[i]))
                {
                    failures.Add($"{prefix}ClientCertificateAuthorityPaths:{i}: file '{authorities[i]}' does not exist or cannot be read; give PEM files of the trusted certificate authorities.");
                }
            }
        }

        if (options.ClientCertificateThumbprints is { Count: > 0 } thumbprints)
        {
            if (!asked)
            {
                failures.Add($"{prefix}ClientCertificateThumbprints: set ClientCertificateMode to AllowCertificate or RequireCertificate, or the thumbprints are never used.");
            }

            for (var i = 0; i < thumbprints.Count; i++)
            {
                var normalized = Tls.ClientCertificatePolicy.NormalizeThumbprint(thumbprints[i] ?? string.Empty);
                if (normalized.Length != 40 || !normalized.All(char.IsAsciiHexDigit))
                {
                    failures.Add($"{prefix}ClientCertificateThumbprints:{i}: '{thumbprints[i]}' is not a SHA-1 thumbprint (40 hex digits; spaces and colons are ignored).");
                }
            }
        }

        if (!Enum.IsDefined(options.ClientCertificateRevocationMode))
        {
            failures.Add($"{prefix}ClientCertificateRevocationMode: '{options.ClientCertificateRevocationMode}' is not one of NoCheck, Online, Offline.");
        }
    }
}
