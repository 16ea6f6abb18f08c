using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Roadrunner.AspNetCore.Diagnostics;

namespace Roadrunner.AspNetCore.Tls;

/// <summary>
/// One listener's client-certificate rule (<see cref="ListenerOptions.ClientCertificateMode"/> and its validation
/// options), applied to every <see cref="SslServerAuthenticationOptions"/> the listener presents. A certificate it refuses
/// fails the handshake (SslStream sends the alert), is counted, measured and logged at most once per 10 s with the count.
/// </summary>
internal sealed class ClientCertificatePolicy : IDisposable
{
    private const string ClientAuthenticationOid = "1.3.6.1.5.5.7.3.2";

    private readonly string _listenerName;
    private readonly ClientCertificateMode _mode;
    private readonly X509Certificate2Collection _authorities;
    private readonly HashSet<string>? _thumbprints;
    private readonly X509RevocationMode _revocationMode;
    private readonly RoadrunnerDiagnostics _diagnostics;
    private readonly TimeProvider _timeProvider;
    private readonly LogThrottle _rejectionLog;
    private readonly Lock _logLock = new();
    private readonly RemoteCertificateValidationCallback _callback;
    private long _rejected;

    private ClientCertificatePolicy(
        string listenerName,
        ListenerOptions options,
        X509Certificate2Collection authorities,
        RoadrunnerDiagnostics diagnostics,
        TimeProvider timeProvider)
    {
        _listenerName = listenerName;
        _mode = options.ClientCertificateMode;
        _authorities = authorities;
        _thumbprints = options.ClientCertificateThumbprints is { Count: > 0 } listed
            ? listed.Select(NormalizeThumbprint).ToHashSet(StringComparer.OrdinalIgnoreCase)
            : null;
        _revocationMode = options.ClientCertificateRevocationMode;
        _diagnostics = diagnostics;
        _timeProvider = timeProvider;
        _rejectionLog = new LogThrottle(timeProvider, TimeSpan.FromSeconds(10));
        _callback = Validate;
    }

    /// <summary>Client certificates refused since the listener started.</summary>
    public long Rejected => Interlocked.Read(ref _rejected);

    /// <summary>The policy of a listener, or <see langword="null"/> when it asks for no client certificate.</summary>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">A certificate authority file does not load.</exception>
    public static ClientCertificatePolicy? Create(string name, ListenerOptions options, RoadrunnerDiagnostics diagnostics, TimeProvider timeProvider)
    {
        if (options.ClientCertificateMode == ClientCertificateMode.NoCertificate)
        {
            return null;
        }

        var authorities = new X509Certificate2Collection();
        try
        {
            var paths = options.ClientCertificateAuthorityPaths ?? [];
            for (var i = 0; i < paths.Count; i++)
            {
                var before = authorities.Count;
                try
                {
                    authorities.ImportFromPemFile(paths[i]);
                }
                catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
                {
                    throw Listeners.CertificateLoader.Invalid(name, $"Roadrunner:Listeners:{name}:ClientCertificateAuthorityPaths:{i}: cannot load '{paths[i]}': {ex.Message.TrimEnd('.')}. It must be a PEM file of one or more CERTIFICATE blocks.");
                }

                if (authorities.Count == before)
                {
                    throw Listeners.CertificateLoader.Invalid(name, $"Roadrunner:Listeners:{name}:ClientCertificateAuthorityPaths:{i}: '{paths[i]}' holds no PEM CERTIFICATE block.");
                }
            }

            return new ClientCertificatePolicy(name, options, authorities, diagnostics, timeProvider);
        }
        catch
        {
            Dispose(authorities);
            throw;
        }
    }

    /// <summary>Makes the handshake ask for a client certificate and judge it here.</summary>
    public void Apply(SslServerAuthenticationOptions options)
    {
        // Asked for in both modes; AllowCertificate lets a client without one through in Validate.
        options.ClientCertificateRequired = true;
        options.RemoteCertificateValidationCallback = _callback;
        options.CertificateRevocationCheckMode = _revocationMode;
    }

    public static string NormalizeThumbprint(string thumbprint) =>
        string.Concat(thumbprint.Where(c => !char.IsWhiteSpace(c) && c != ':')).ToUpperInvariant();

    private bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        var reason = Judge(certificate, chain, errors);
        if (reason is null)
        {
            return true;
        }

        Interlocked.Increment(ref _rejected);
        _diagnostics.Metrics.ClientCertificateRejected(_listenerName, reason);
        var subject = certificate?.Subject ?? "none";
        var thumbprint = (certificate as X509Certificate2)?.Thumbprint ?? certificate?.GetCertHashString() ?? "none";
        lock (_logLock)
        {
            if (_rejectionLog.TryReport(out var count))
            {
                RoadrunnerLog.ClientCertificatesRejected(_diagnostics.TransportLogger, _listenerName, count, (int)_rejectionLog.Interval.TotalSeconds, reason, subject, thumbprint);
            }
        }

        return false;
    }

    /// <summary>Why the certificate is refused (a short reason, also the metric's tag), or <see langword="null"/> to accept it.</summary>
    private string? Judge(X509Certificate? certificate, X509Chain? presented, SslPolicyErrors errors)
    {
        if (certificate is null)
        {
            return _mode == ClientCertificateMode.RequireCertificate ? "no_certificate" : null;
        }

        using var owned = certificate as X509Certificate2 is null ? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()) : null;
        var certificate2 = owned ?? (X509Certificate2)certificate;

        if (_authorities.Count > 0)
        {
            if (!ChainsToAuthority(certificate2, presented))
            {
                return "untrusted";
            }
        }
        else if (_thumbprints is null)
        {
            // Neither authorities nor pins: the system trust store, as SslStream judged it.
            if ((errors & ~SslPolicyErrors.RemoteCertificateNameMismatch) != SslPolicyErrors.None)
            {
                return "untrusted";
            }
        }
        else
        {
            // Pinned certificates: the pin replaces the chain, but an expired or not yet valid one is still refused.
            var now = _timeProvider.GetUtcNow().UtcDateTime;
            if (certificate2.NotAfter.ToUniversalTime() < now || certificate2.NotBefore.ToUniversalTime() > now)
            {
                return "outside_validity";
            }
        }

        if (_thumbprints is not null && !_thumbprints.Contains(certificate2.Thumbprint))
        {
            return "thumbprint_not_allowed";
        }

        return null;
    }

    private bool ChainsToAuthority(X509Certificate2 certificate, X509Chain? presented)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(_authorities);
        chain.ChainPolicy.RevocationMode = _revocationMode;
        chain.ChainPolicy.RevocationFlag = X509RevocationFlag.ExcludeRoot;
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid(ClientAuthenticationOid));
        chain.ChainPolicy.VerificationTime = _timeProvider.GetUtcNow().UtcDateTime;
        chain.ChainPolicy.VerificationTimeIgnored = false;

        // Intermediates the client sent are in the chain SslStream built; they may help, they are not trusted.
        if (presented is not null)
        {
            for (var i = 1; i < presented.ChainElements.Count; i++)
            {
                chain.ChainPolicy.ExtraStore.Add(presented.ChainElements[i].Certificate);
            }
        }

        try
        {
            return chain.Build(certificate);
        }
        finally
        {
            foreach (var element in chain.ChainElements)
            {
                if (!ReferenceEquals(element.Certificate, certificate))
                {
                    element.Certificate.Dispose();
                }
            }
        }
    }

    public void Dispose() => Dispose(_authorities);

    private static void Dispose(X509Certificate2Collection certificates)
    {
        foreach (var certificate in certificates)
        {
            certificate.Dispose();
        }
    }
}
