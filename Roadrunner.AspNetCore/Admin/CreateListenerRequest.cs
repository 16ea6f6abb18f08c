using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace Roadrunner.AspNetCore.Admin;

/// <summary>
/// Body of <c>POST {prefix}/listeners</c>. Only <see cref="Name"/> is required; a <see cref="CertificatePath"/> (PKCS#12 file
/// readable by the app) makes it a TLS listener. To add a field: a property here, its hint and its mapping in
/// <see cref="AdminListenerMapping"/> (the one place that turns this into <see cref="ListenerOptions"/>).
/// </summary>
internal sealed class CreateListenerRequest
{
    /// <summary>The listener's name: 1–64 characters from [A-Za-z0-9._-].</summary>
    public string? Name { get; init; }

    /// <summary>IP address literal, or <c>unix:/absolute/path</c> for a Unix domain socket; defaults to 127.0.0.1.</summary>
    public string? Address { get; init; }

    /// <summary>0–65535; defaults to 0 (a free port chosen by the OS).</summary>
    public int? Port { get; init; }

    /// <summary>Http1 (default), Http2, or Http1AndHttp2 (TLS only).</summary>
    [JsonConverter(typeof(ExactListenerProtocolsConverter))]
    public ListenerProtocols? Protocols { get; init; }

    /// <summary>Connection cap; omitted or null means none.</summary>
    public int? MaxConnections { get; init; }

    /// <summary>Path of a PKCS#12 (.pfx) file; makes the listener serve HTTPS.</summary>
    public string? CertificatePath { get; init; }

    /// <summary>Password of <see cref="CertificatePath"/>.</summary>
    public string? CertificatePassword { get; init; }

    /// <summary>Path of the PEM private key when <see cref="CertificatePath"/> is a PEM certificate.</summary>
    public string? CertificateKeyPath { get; init; }

    /// <summary>Close (default), Backlog or ServiceUnavailable: what happens at <see cref="MaxConnections"/>.</summary>
    [JsonConverter(typeof(ExactEnumConverter<MaxConnectionsBehavior>))]
    public MaxConnectionsBehavior? MaxConnectionsBehavior { get; init; }

    /// <summary>Largest request body in bytes; omitted or null: Kestrel's server-wide limit.</summary>
    public long? MaxRequestBodySize { get; init; }

    /// <summary>HTTP/1.1 request headers timeout in milliseconds (at least 1000); omitted or null: Kestrel's.</summary>
    public long? RequestHeadersTimeoutMs { get; init; }

    /// <summary>Idle connection timeout in milliseconds (at least 1000); omitted or null: Kestrel's.</summary>
    public long? KeepAliveTimeoutMs { get; init; }

    /// <summary>Most requests per connection; omitted or null: no limit.</summary>
    public int? MaxRequestsPerConnection { get; init; }

    /// <summary>Slowest HTTP/1.1 request body; omitted or null: Kestrel's.</summary>
    public DataRateRequest? MinRequestBodyDataRate { get; init; }

    /// <summary>Most requests in flight on the listener; omitted or null: no limit.</summary>
    public int? MaxConcurrentRequests { get; init; }

    /// <summary>Per-client-IP token bucket; omitted or null: none.</summary>
    public RateLimitRequest? RateLimit { get; init; }

    /// <summary>Off (default), V1, V2 or Any: whether connections start with a PROXY protocol header.</summary>
    [JsonConverter(typeof(ExactEnumConverter<ProxyProtocolMode>))]
    public ProxyProtocolMode? ProxyProtocol { get; init; }

    /// <summary>Addresses or CIDR networks a PROXY header is accepted from; omitted or null: everyone.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1819", Justification = "A JSON body, read once.")]
    public string[]? TrustedProxies { get; init; }

    /// <summary>NoCertificate (default), AllowCertificate or RequireCertificate (TLS only).</summary>
    [JsonConverter(typeof(ExactEnumConverter<ClientCertificateMode>))]
    public ClientCertificateMode? ClientCertificateMode { get; init; }
}
