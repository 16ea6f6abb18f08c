using Roadrunner.AspNetCore.Diagnostics;

namespace Roadrunner.AspNetCore.Tls;

/// <summary>
/// Reports the outcome of a certificate reload or replacement of one listener: the log, the
/// <c>roadrunner.listener.certificate_reloads</c> metric and the diagnostic event, for a new certificate and for one that failed
/// (the old one is kept). Separate so that <see cref="ListenerTls"/> (replacement by code) and
/// <see cref="CertificateFileReloader"/> (reload from files) report the same way.
/// </summary>
internal sealed class CertificateReloadReporter
{
    private readonly string _name;
    private readonly RoadrunnerDiagnostics _diagnostics;

    public CertificateReloadReporter(string name, RoadrunnerDiagnostics diagnostics)
    {
        _name = name;
        _diagnostics = diagnostics;
    }

    /// <summary>The certificate of <paramref name="host"/> (<see langword="null"/>: the default one) is now <paramref name="certificate"/>.</summary>
    public void Reloaded(string? host, string? path, string oldThumbprint, ListenerCertificateInfo certificate)
    {
        RoadrunnerLog.CertificateReloaded(_diagnostics.ListenersLogger, _name, host ?? "(default)", certificate.Subject, certificate.Thumbprint, certificate.NotAfter, oldThumbprint);
        _diagnostics.Metrics.CertificateReload(_name, "reloaded");
        _diagnostics.Write(
            RoadrunnerEvents.CertificateReloaded,
            (_name, host, path, oldThumbprint, certificate),
            static s => new CertificateReloadedEvent(s._name, s.host, s.path, s.oldThumbprint, s.certificate.Thumbprint, s.certificate.NotAfter));
    }

    /// <summary>The files of <paramref name="entry"/> did not give a certificate; it stays in use.</summary>
    public void Failed(CertificateEntry entry, string message)
    {
        var path = entry.Source?.Path;
        var kept = entry.Info.Thumbprint;
        RoadrunnerLog.CertificateReloadFailed(_diagnostics.ListenersLogger, _name, entry.Host ?? "(default)", path, message, kept);
        _diagnostics.Metrics.CertificateReload(_name, "failed");
        _diagnostics.Write(
            RoadrunnerEvents.CertificateReloadFailed,
            (_name, entry.Host, path, message, kept),
            static s => new CertificateReloadFailedEvent(s._name, s.Host, s.path, s.message, s.kept));
    }
}
