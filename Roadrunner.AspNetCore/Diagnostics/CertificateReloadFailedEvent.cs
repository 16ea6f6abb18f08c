namespace Roadrunner.AspNetCore;

/// <summary>Payload of <see cref="RoadrunnerEvents.CertificateReloadFailed"/>: the listener keeps presenting <see cref="KeptThumbprint"/>.</summary>
/// <remarks>JSON: <c>{"listenerName","hostName","path","error","keptThumbprint"}</c>.</remarks>
/// <param name="ListenerName">The listener.</param>
/// <param name="HostName">The SNI host pattern whose certificate did not load; <see langword="null"/> for the listener's default certificate.</param>
/// <param name="Path">The certificate file that did not load.</param>
/// <param name="Error">Why, naming the configuration key and the fix.</param>
/// <param name="KeptThumbprint">The certificate still presented.</param>
public sealed record CertificateReloadFailedEvent(
    string ListenerName,
    string? HostName,
    string? Path,
    string Error,
    string KeptThumbprint);
