namespace Roadrunner.Example.Models;

/// <summary>
/// What <c>GET /whoami</c> answers: who the app thinks the client is, as seen on this request. Each value is
/// <see langword="null"/> where it does not apply (no listener on an ordinary endpoint, no IP on a Unix socket, no TLS).
/// </summary>
/// <param name="Listener">The listener the request came in on.</param>
/// <param name="RemoteIp">The client's address: the PROXY protocol header's source when the listener reads one.</param>
/// <param name="RemotePort">The client's port.</param>
/// <param name="LocalPort">The port the client connected to (the proxy's with the PROXY protocol).</param>
/// <param name="Protocol">The HTTP version, e.g. <c>HTTP/1.1</c>.</param>
/// <param name="TlsServerName">The SNI host name the client sent.</param>
/// <param name="ClientCertificateSubject">The subject of the client certificate.</param>
public sealed record WhoAmIResponse(
    string? Listener,
    string? RemoteIp,
    int? RemotePort,
    int? LocalPort,
    string Protocol,
    string? TlsServerName,
    string? ClientCertificateSubject);
