namespace Roadrunner.AspNetCore;

/// <summary>Payload of <see cref="RoadrunnerEvents.CertificateReloaded"/>.</summary>
/// <remarks>JSON: <c>{"listenerName","hostName","path","oldThumbprint","newThumbprint","notAfter"}</c>.</remarks>
/// <param name="ListenerName">The listener.</param>
/// <param name="HostName">The SNI host pattern whose certificate changed; <see langword="null"/> for the listener's default certificate.</param>
/// <param name="Path">The certificate file that was loaded; <see langword="null"/> for a certificate given in code.</param>
/// <param name="OldThumbprint">The thumbprint presented until now.</param>
/// <param name="NewThumbprint">The thumbprint new connections get from now on.</param>
/// <param name="NotAfter">The end of the new certificate's validity period (UTC).</param>
public sealed record CertificateReloadedEvent(
    string ListenerName,
    string? HostName,
    string? Path,
    string OldThumbprint,
    string NewThumbprint,
    DateTimeOffset NotAfter);
