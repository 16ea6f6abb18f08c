using System.Net;
using System.Text.RegularExpressions;
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

        if (!ListenerAddress.TryParse(options.Address, out _, out var addressProblem))
        {
            failures.Add($"{prefix}Address: '{options.Address}' is not an IP address literal{addressProblem}. {ListenerAddress.Examples}");
        }

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

        // Files and stores are checked the same way once loaded (CertificateLoader); a code certificate can be checked now.
        if (options.Certificate is { } certificate && ServerCertificateCheck.Problem(certificate, _timeProvider.GetUtcNow()) is { } problem)
        {
            failures.Add($"{prefix}Certificate: the certificate {ServerCertificateCheck.Describe(certificate)} {problem}");
        }
    }
}
