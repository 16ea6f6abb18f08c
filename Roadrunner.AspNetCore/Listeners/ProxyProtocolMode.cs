using System.Text.Json.Serialization;

namespace Roadrunner.AspNetCore;

/// <summary>
/// Whether a listener expects a PROXY protocol header (HAProxy's, also sent by AWS NLB, nginx <c>stream</c> and
/// Kubernetes ingresses in TCP mode) at the start of each connection, before TLS and HTTP. Serialized as its name.
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<ProxyProtocolMode>))]
public enum ProxyProtocolMode
{
    /// <summary>No header is read (the default): the connection starts with TLS or HTTP.</summary>
    Off = 0,

    /// <summary>Every connection must start with a version 1 (text) header, e.g. <c>PROXY TCP4 203.0.113.7 10.0.0.5 51234 443\r\n</c>.</summary>
    V1 = 1,

    /// <summary>Every connection must start with a version 2 (binary) header.</summary>
    V2 = 2,

    /// <summary>Every connection must start with a header of either version, recognised by its first byte.</summary>
    Any = 3,
}
