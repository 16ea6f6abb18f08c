using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Options;
using Roadrunner.AspNetCore.Limits;

namespace Roadrunner.AspNetCore.Listeners;

/// <summary>
/// Validates one listener's options. Messages name the listener and the configuration key, e.g.
/// <c>Roadrunner:Listeners:admin:Port: must be between 0 and 65535 (got 70000).</c>
/// </summary>
/// <param name="timeProvider">The clock a code certificate's validity period is checked against; <see cref="TimeProvider.System"/> if null.</param>
internal sealed partial class ListenerOptionsValidator(TimeProvider? timeProvider = null) : IValidateOptions<ListenerOptions>
{
    private readonly TimeProvider _timeProvider = timeProvider ?? TimeProvider.System;

    public const int MaxNameLength = 64;

    [GeneratedRegex(@"\A[A-Za-z0-9._-]{1,64}\z", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();

    public static bool IsValidName(string? name) => name is not null && NamePattern().IsMatch(name);

    public static string NameRule => $"Listener names are 1–{MaxNameLength} characters from [A-Za-z0-9._-].";

    public ValidateOptionsResult Validate(string? name, ListenerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        var prefix = $"Roadrunner:Listeners:{name}:";

        if (!IsValidName(name))
        {
            failures.Add($"Roadrunner:Listeners:{name}: invalid listener name '{name}'. {NameRule}");
        }

        var isUnix = UnixSocketAddress.TryGetPath(options.Address, out var unixPath);
        if (isUnix)
        {
            if (UnixSocketAddress.Problem(unixPath) is { } unixProblem)
            {
                failures.Add($"{prefix}Address: '{options.Address}' is not a usable Unix domain socket address: {unixProblem}.");
            }

            if (options.Port != 0)
            {
                failures.Add($"{prefix}Port: a Unix domain socket listener has no port (got {options.Port}); remove Port or set it to 0.");
            }
        }
        else if (!ListenerAddress.TryParse(options.Address, out _, out var addressProblem))
        {
            failures.Add($"{prefix}Address: '{options.Address}' is not an IP address literal{addressProblem}. {ListenerAddress.Examples} Or unix:/absolute/path.sock for a Unix domain socket.");
        }

        if (options.UnixSocketMode is { } mode)
        {
            if (!isUnix)
            {
                failures.Add($"{prefix}UnixSocketMode: applies only to a Unix domain socket listener (Address unix:/path); remove it or change the Address.");
            }
            else if (!UnixSocketAddress.TryParseMode(mode, out _))
            {
                failures.Add($"{prefix}UnixSocketMode: '{mode}' is not a file mode; write 1–4 octal digits without setuid/setgid/sticky bits, e.g. \"660\" (owner and group may connect) or \"600\".");
            }
        }

        ValidateProxyProtocol(prefix, options, isUnix, failures);

        if (options.Port is < IPEndPoint.MinPort or > IPEndPoint.MaxPort)
        {
            failures.Add($"{prefix}Port: must be between 0 and 65535 (got {options.Port}); 0 picks a free port.");
        }

        if (!Enum.IsDefined(options.Protocols))
        {
            failures.Add($"{prefix}Protocols: '{options.Protocols}' is not one of Http1, Http2, Http1AndHttp2.");
        }
        else if (options.Protocols == ListenerProtocols.Http1AndHttp2 && !options.UseTls)
        {
            failures.Add($"{prefix}Protocols: Http1AndHttp2 needs TLS (UseTls: true with a certificate). Without TLS there is no ALPN to choose the protocol and Kestrel would serve HTTP/1.1 only; use Http1, or Http2 for h2c prior knowledge.");
        }

        if (options.MaxConnections is < 1)
        {
            failures.Add($"{prefix}MaxConnections: must be at least 1, or null for no limit (got {options.MaxConnections}).");
        }

        if (!Enum.IsDefined(options.MaxConnectionsBehavior))
        {
            failures.Add($"{prefix}MaxConnectionsBehavior: '{options.MaxConnectionsBehavior}' is not one of Close, Backlog, ServiceUnavailable.");
        }
        else if (options.MaxConnectionsBehavior == MaxConnectionsBehavior.Backlog && options.MaxConnections is null)
        {
            failures.Add($"{prefix}MaxConnectionsBehavior: Backlog needs MaxConnections (the cap at which the listener stops accepting).");
        }
        else if (options.MaxConnectionsBehavior == MaxConnectionsBehavior.ServiceUnavailable && options.MaxConnections is null)
        {
            failures.Add($"{prefix}MaxConnectionsBehavior: ServiceUnavailable needs MaxConnections (the cap past which connections are answered 503).");
        }

        ListenerLimitsValidation.Validate(prefix, options, failures);

        if (options.DrainSpread is { } spread && spread < TimeSpan.Zero)
        {
            failures.Add($"{prefix}DrainSpread: must not be negative (got {spread}); 0 tells everyone at once, null takes Roadrunner:DrainSpread.");
        }

        ValidateTls(prefix, options, failures);

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void ValidateProxyProtocol(string prefix, ListenerOptions options, bool isUnix, List<string> failures)
    {
        if (!Enum.IsDefined(options.ProxyProtocol))
        {
            failures.Add($"{prefix}ProxyProtocol: '{options.ProxyProtocol}' is not one of Off, V1, V2, Any.");
            return;
        }

        var on = options.ProxyProtocol != ProxyProtocolMode.Off;
        if (options.TrustedProxies is { Count: > 0 } trusted)
        {
            if (!on)
            {
                failures.Add($"{prefix}TrustedProxies: applies only with ProxyProtocol V1, V2 or Any; set ProxyProtocol or remove TrustedProxies.");
            }
            else if (isUnix)
            {
                failures.Add($"{prefix}TrustedProxies: a Unix domain socket peer has no IP address; control who may connect with UnixSocketMode and remove TrustedProxies.");
            }

            for (var i = 0; i < trusted.Count; i++)
            {
                if (!Transport.ProxyProtocol.TrustedProxyList.TryParse(trusted[i], out _, out var problem))
                {
                    failures.Add($"{prefix}TrustedProxies:{i}: '{trusted[i]}' {problem}.");
                }
            }
        }

        if (options.ProxyProtocolHeaderTimeout is { } timeout)
        {
            if (!on)
            {
                failures.Add($"{prefix}ProxyProtocolHeaderTimeout: applies only with ProxyProtocol V1, V2 or Any; set ProxyProtocol or remove it.");
            }
            else if (timeout <= TimeSpan.Zero || timeout > TimeSpan.FromMinutes(5))
            {
                failures.Add($"{prefix}ProxyProtocolHeaderTimeout: must be more than 0 and at most 00:05:00 (got {timeout}); null means 5 seconds.");
            }
        }
    }

    private void ValidateTls(string prefix, ListenerOptions options, List<string> failures)
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
        ValidateSni(prefix, options, failures);
        ValidateClientCertificates(prefix, options, failures);

        // Files and stores are checked the same way once loaded (CertificateLoader); a code certificate can be checked now.
        if (options.Certificate is { } certificate && ServerCertificateCheck.Problem(certificate, _timeProvider.GetUtcNow()) is { } problem)
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

    private static void ValidateSni(string prefix, ListenerOptions options, List<string> failures)
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

    private static void ValidateClientCertificates(string prefix, ListenerOptions options, List<string> failures)
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
