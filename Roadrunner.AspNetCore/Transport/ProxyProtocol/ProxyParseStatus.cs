namespace Roadrunner.AspNetCore.Transport.ProxyProtocol;

/// <summary>What <see cref="ProxyProtocolParser"/> made of the bytes received so far.</summary>
internal enum ProxyParseStatus
{
    /// <summary>Everything so far is a valid start of a header: read more.</summary>
    NeedMoreData,

    /// <summary>A whole, valid header.</summary>
    Complete,

    /// <summary>Not a valid header, whatever follows.</summary>
    Rejected,
}
