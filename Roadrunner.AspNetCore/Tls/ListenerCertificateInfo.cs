namespace Roadrunner.AspNetCore;

/// <summary>The server certificate a TLS listener presents right now (its default one, when no SNI name matches).</summary>
/// <remarks>JSON: <c>{"thumbprint","subject","notAfter"}</c>.</remarks>
/// <param name="Thumbprint">The SHA-1 thumbprint, upper-case hex, as <see cref="System.Security.Cryptography.X509Certificates.X509Certificate2.Thumbprint"/>.</param>
/// <param name="Subject">The subject distinguished name, e.g. <c>CN=api.example.com</c>.</param>
/// <param name="NotAfter">The end of the certificate's validity period (UTC).</param>
public sealed record ListenerCertificateInfo(string Thumbprint, string Subject, DateTimeOffset NotAfter);
