namespace Roadrunner.AspNetCore.Admin;

/// <summary>
/// Body of <c>POST {prefix}/listeners/{name}/certificate</c>: a PKCS#12 file and its password, or a PEM certificate and
/// its key file, readable by the app.
/// </summary>
internal sealed class ReplaceCertificateRequest
{
    /// <summary>Path of the new certificate: a PKCS#12 (.pfx) file, or a PEM certificate with <see cref="CertificateKeyPath"/>.</summary>
    public string? CertificatePath { get; init; }

    /// <summary>Password of a PKCS#12 <see cref="CertificatePath"/>.</summary>
    public string? CertificatePassword { get; init; }

    /// <summary>Path of the PEM private key of a PEM <see cref="CertificatePath"/>.</summary>
    public string? CertificateKeyPath { get; init; }
}
