namespace Roadrunner.AspNetCore.Transport;

/// <summary>
/// The Kestrel endpoint a runtime listener's connections are fed to. Protocols, TLS and connection
/// middleware are per Kestrel endpoint, so each distinct shape needs one placeholder endpoint.
/// </summary>
internal enum TransportShape
{
    Http1 = 0,
    Http2 = 1,
    Tls = 2,
}
