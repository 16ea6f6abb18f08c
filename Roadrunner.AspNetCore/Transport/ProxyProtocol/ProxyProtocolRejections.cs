namespace Roadrunner.AspNetCore.Transport.ProxyProtocol;

/// <summary>Names of <see cref="ProxyProtocolRejection"/> values, as they appear in metrics, events and logs.</summary>
internal static class ProxyProtocolRejections
{
    public static string Name(ProxyProtocolRejection rejection) => rejection switch
    {
        ProxyProtocolRejection.Missing => "missing",
        ProxyProtocolRejection.Malformed => "malformed",
        ProxyProtocolRejection.Oversized => "oversized",
        ProxyProtocolRejection.Timeout => "timeout",
        ProxyProtocolRejection.Incomplete => "incomplete",
        ProxyProtocolRejection.Untrusted => "untrusted",
        _ => "unknown",
    };
}
