namespace Roadrunner.AspNetCore.Transport.ProxyProtocol;

/// <summary>Why a connection was closed instead of reaching Kestrel; <see cref="ProxyProtocolRejections.Name"/> is the metric tag and event reason.</summary>
internal enum ProxyProtocolRejection
{
    /// <summary>The connection does not start with a header of an accepted version (no header, or the other version).</summary>
    Missing,

    /// <summary>The header starts right but breaks the specification (bad address, port, family, length, TLV).</summary>
    Malformed,

    /// <summary>The header is longer than the bound (107 bytes for v1, <see cref="ProxyProtocolParser.MaxV2Length"/> for v2).</summary>
    Oversized,

    /// <summary>The whole header did not arrive within the header timeout.</summary>
    Timeout,

    /// <summary>The peer closed or reset the connection before the header was complete.</summary>
    Incomplete,

    /// <summary>The peer's address is not in the listener's trusted proxies.</summary>
    Untrusted,
}
