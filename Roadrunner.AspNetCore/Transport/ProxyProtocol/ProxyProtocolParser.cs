using System.Buffers;

namespace Roadrunner.AspNetCore.Transport.ProxyProtocol;

/// <summary>
/// Parses a PROXY protocol header (https://www.haproxy.org/download/2.6/doc/proxy-protocol.txt), version 1 (text) or 2
/// (binary), from the first bytes of a connection. It is called again with all bytes received so far until it answers
/// <see cref="ProxyParseStatus.Complete"/> or <see cref="ProxyParseStatus.Rejected"/>, and decides as early as the bytes
/// allow (a wrong first byte is rejected at once, without waiting for more). It allocates only the addresses of a
/// complete header: a header split over segments is copied to the stack (both versions are bounded). This class only
/// picks the version by mode and first byte; <see cref="ProxyProtocolV1Parser"/> and <see cref="ProxyProtocolV2Parser"/>
/// parse each format.
/// </summary>
internal static class ProxyProtocolParser
{
    /// <summary>The longest v1 header, CRLF included (the specification's bound).</summary>
    public const int MaxV1Length = ProxyProtocolV1Parser.MaxLength;

    /// <summary>The longest v2 header this library accepts (see <see cref="ProxyProtocolV2Parser.MaxLength"/>).</summary>
    public const int MaxV2Length = ProxyProtocolV2Parser.MaxLength;

    /// <summary>Parses the start of <paramref name="buffer"/> as a header of a version <paramref name="mode"/> accepts.</summary>
    public static ProxyParseStatus TryParse(in ReadOnlySequence<byte> buffer, ProxyProtocolMode mode, out ProxyHeader header, out ProxyProtocolRejection rejection)
    {
        if (buffer.IsSingleSegment || buffer.FirstSpan.Length >= MaxV2Length)
        {
            return TryParse(buffer.FirstSpan, mode, out header, out rejection);
        }

        // Split over segments (a header trickling in, or a large first read): a bounded copy on the stack.
        Span<byte> copy = stackalloc byte[MaxV2Length];
        var length = (int)Math.Min(buffer.Length, MaxV2Length);
        buffer.Slice(0, length).CopyTo(copy);
        return TryParse(copy[..length], mode, out header, out rejection);
    }

    /// <summary>Parses the start of <paramref name="data"/> as a header of a version <paramref name="mode"/> accepts.</summary>
    public static ProxyParseStatus TryParse(ReadOnlySpan<byte> data, ProxyProtocolMode mode, out ProxyHeader header, out ProxyProtocolRejection rejection)
    {
        header = default;
        rejection = default;
        if (data.IsEmpty)
        {
            return ProxyParseStatus.NeedMoreData;
        }

        if (data[0] == ProxyProtocolV1Parser.Prefix[0] && mode is ProxyProtocolMode.V1 or ProxyProtocolMode.Any)
        {
            return ProxyProtocolV1Parser.Parse(data, out header, out rejection);
        }

        if (data[0] == ProxyProtocolV2Parser.Signature[0] && mode is ProxyProtocolMode.V2 or ProxyProtocolMode.Any)
        {
            return ProxyProtocolV2Parser.Parse(data, out header, out rejection);
        }

        rejection = ProxyProtocolRejection.Missing;
        return ProxyParseStatus.Rejected;
    }
}
