using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Roadrunner.AspNetCore.Transport.ProxyProtocol;

/// <summary>
/// Parses a PROXY protocol header (https://www.haproxy.org/download/2.6/doc/proxy-protocol.txt), version 1 (text) or 2
/// (binary), from the first bytes of a connection. It is called again with all bytes received so far until it answers
/// <see cref="ProxyParseStatus.Complete"/> or <see cref="ProxyParseStatus.Rejected"/>, and decides as early as the bytes
/// allow (a wrong first byte is rejected at once, without waiting for more). It allocates only the addresses of a
/// complete header: a header split over segments is copied to the stack (both versions are bounded).
/// </summary>
internal static class ProxyProtocolParser
{
    /// <summary>The longest v1 header, CRLF included (the specification's bound).</summary>
    public const int MaxV1Length = 107;

    /// <summary>
    /// The longest v2 header this library accepts: the 16 fixed bytes and 1 KiB of addresses and TLVs. HAProxy sends
    /// 28 bytes for TCP/IPv4 and 52 for TCP/IPv6; AWS NLB adds a few TLVs (VPC endpoint id) of some tens of bytes.
    /// </summary>
    public const int MaxV2Length = V2FixedLength + 1024;

    private const int V2FixedLength = 16;
    private const int V1PrefixLength = 6;

    private static readonly SearchValues<byte> DecimalOrDot = SearchValues.Create("0123456789."u8);
    private static readonly SearchValues<byte> HexColonOrDot = SearchValues.Create("0123456789abcdefABCDEF:."u8);

    private static ReadOnlySpan<byte> V1Prefix => "PROXY "u8;

    private static ReadOnlySpan<byte> V2Signature => [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A];

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

        if (data[0] == V1Prefix[0] && mode is ProxyProtocolMode.V1 or ProxyProtocolMode.Any)
        {
            return ParseV1(data, out header, out rejection);
        }

        if (data[0] == V2Signature[0] && mode is ProxyProtocolMode.V2 or ProxyProtocolMode.Any)
        {
            return ParseV2(data, out header, out rejection);
        }

        return Reject(ProxyProtocolRejection.Missing, out rejection);
    }

    private static ProxyParseStatus ParseV1(ReadOnlySpan<byte> data, out ProxyHeader header, out ProxyProtocolRejection rejection)
    {
        header = default;
        rejection = default;
        var prefix = Math.Min(data.Length, V1PrefixLength);
        if (!data[..prefix].SequenceEqual(V1Prefix[..prefix]))
        {
            // "POST /..." starts with 'P' too: that is a connection without a header.
            return Reject(ProxyProtocolRejection.Missing, out rejection);
        }

        var window = data[..Math.Min(data.Length, MaxV1Length)];
        var cr = window.IndexOf((byte)'\r');
        if (cr < 0)
        {
            // Only printable ASCII may come before the CR: reject garbage now rather than at the length bound.
            if (window.IndexOfAnyExceptInRange((byte)0x20, (byte)0x7E) >= 0)
            {
                return Reject(ProxyProtocolRejection.Malformed, out rejection);
            }

            return window.Length >= MaxV1Length
                ? Reject(ProxyProtocolRejection.Oversized, out rejection)
                : ProxyParseStatus.NeedMoreData;
        }

        if (cr + 1 >= data.Length)
        {
            return cr + 2 > MaxV1Length ? Reject(ProxyProtocolRejection.Oversized, out rejection) : ProxyParseStatus.NeedMoreData;
        }

        if (data[cr + 1] != (byte)'\n' || cr + 2 > MaxV1Length)
        {
            return Reject(cr + 2 > MaxV1Length ? ProxyProtocolRejection.Oversized : ProxyProtocolRejection.Malformed, out rejection);
        }

        var line = data[V1PrefixLength..cr];
        if (line.IndexOfAnyExceptInRange((byte)0x20, (byte)0x7E) >= 0)
        {
            return Reject(ProxyProtocolRejection.Malformed, out rejection);
        }

        var length = cr + 2;
        if (line.StartsWith("UNKNOWN"u8) && (line.Length == 7 || line[7] == (byte)' '))
        {
            // The proxy could not tell the addresses: whatever follows is ignored, the connection keeps the proxy's.
            header = new ProxyHeader(length, 1, null, null);
            return ProxyParseStatus.Complete;
        }

        AddressFamily family;
        if (line.StartsWith("TCP4 "u8))
        {
            family = AddressFamily.InterNetwork;
        }
        else if (line.StartsWith("TCP6 "u8))
        {
            family = AddressFamily.InterNetworkV6;
        }
        else
        {
            return Reject(ProxyProtocolRejection.Malformed, out rejection);
        }

        // "TCPx SRC DST SPORT DPORT", one space between fields.
        var rest = line[5..];
        if (!NextField(ref rest, out var sourceText) || !NextField(ref rest, out var destinationText)
            || !NextField(ref rest, out var sourcePortText) || !NextField(ref rest, out var destinationPortText) || !rest.IsEmpty
            || !TryParseV1Address(sourceText, family, out var source) || !TryParseV1Address(destinationText, family, out var destination)
            || !TryParseV1Port(sourcePortText, out var sourcePort) || !TryParseV1Port(destinationPortText, out var destinationPort))
        {
            return Reject(ProxyProtocolRejection.Malformed, out rejection);
        }

        header = new ProxyHeader(length, 1, new IPEndPoint(source, sourcePort), new IPEndPoint(destination, destinationPort));
        return ProxyParseStatus.Complete;
    }

    private static bool NextField(ref ReadOnlySpan<byte> rest, out ReadOnlySpan<byte> field)
    {
        var space = rest.IndexOf((byte)' ');
        field = space < 0 ? rest : rest[..space];
        rest = space < 0 ? [] : rest[(space + 1)..];
        return !field.IsEmpty && (space < 0 || !rest.IsEmpty);
    }

    private static bool TryParseV1Address(ReadOnlySpan<byte> text, AddressFamily family, out IPAddress address)
    {
        address = IPAddress.None;

        // IPAddress alone is too lenient for IPv4 (inet_aton forms such as "127.1"), and would take a scope id.
        if (family == AddressFamily.InterNetwork)
        {
            if (text.Count((byte)'.') != 3 || text.IndexOfAnyExcept(DecimalOrDot) >= 0 || text.Length > 15)
            {
                return false;
            }
        }
        else if (text.IndexOfAnyExcept(HexColonOrDot) >= 0 || text.Length > 45)
        {
            return false;
        }

        return IPAddress.TryParse(text, out address!) && address.AddressFamily == family;
    }

    private static bool TryParseV1Port(ReadOnlySpan<byte> text, out int port)
    {
        port = 0;

        // Decimal 0–65535 without leading zeros, as the specification writes them.
        if (text.Length is 0 or > 5 || (text.Length > 1 && text[0] == (byte)'0'))
        {
            return false;
        }

        foreach (var digit in text)
        {
            if (digit is < (byte)'0' or > (byte)'9')
            {
                return false;
            }

            port = (port * 10) + (digit - '0');
        }

        return port <= IPEndPoint.MaxPort;
    }

    private static ProxyParseStatus ParseV2(ReadOnlySpan<byte> data, out ProxyHeader header, out ProxyProtocolRejection rejection)
    {
        header = default;
        rejection = default;
        var signature = Math.Min(data.Length, V2Signature.Length);
        if (!data[..signature].SequenceEqual(V2Signature[..signature]))
        {
            return Reject(ProxyProtocolRejection.Missing, out rejection);
        }

        if (data.Length > V2Signature.Length && data[12] >> 4 != 2)
        {
            return Reject(ProxyProtocolRejection.Malformed, out rejection); // Version 2 is the only binary version.
        }

        if (data.Length < V2FixedLength)
        {
            return ProxyParseStatus.NeedMoreData;
        }

        var command = data[12] & 0x0F;
        var family = data[13] >> 4;
        var transport = data[13] & 0x0F;
        var payloadLength = BinaryPrimitives.ReadUInt16BigEndian(data[14..]);
        if (command > 1 || family > 3 || transport > 2)
        {
            return Reject(ProxyProtocolRejection.Malformed, out rejection);
        }

        var length = V2FixedLength + payloadLength;
        if (length > MaxV2Length)
        {
            return Reject(ProxyProtocolRejection.Oversized, out rejection);
        }

        var addressLength = family switch
        {
            1 => 12,   // IPv4: 4 + 4 + 2 + 2
            2 => 36,   // IPv6: 16 + 16 + 2 + 2
            3 => 216,  // UNIX: 108 + 108
            _ => 0,
        };

        // A length that cannot even hold the addresses is a lie, whatever follows: reject before waiting for more.
        if (command == 1 && payloadLength < addressLength)
        {
            return Reject(ProxyProtocolRejection.Malformed, out rejection);
        }

        if (data.Length < length)
        {
            return ProxyParseStatus.NeedMoreData;
        }

        if (command == 0)
        {
            // LOCAL: the proxy speaks for itself (a health check); the payload is ignored, as the specification says.
            header = new ProxyHeader(length, 2, null, null);
            return ProxyParseStatus.Complete;
        }

        var payload = data.Slice(V2FixedLength, payloadLength);
        if (family != 0 && !TlvsAreWellFormed(payload[addressLength..]))
        {
            return Reject(ProxyProtocolRejection.Malformed, out rejection);
        }

        // Only TCP over IPv4/IPv6 carries addresses the connection can take; UDP, UNIX and UNSPEC keep the proxy's.
        if (transport != 1 || family is not (1 or 2))
        {
            header = new ProxyHeader(length, 2, null, null);
            return ProxyParseStatus.Complete;
        }

        var addressSize = family == 1 ? 4 : 16;
        var source = new IPAddress(payload[..addressSize]);
        var destination = new IPAddress(payload.Slice(addressSize, addressSize));
        var sourcePort = BinaryPrimitives.ReadUInt16BigEndian(payload[(2 * addressSize)..]);
        var destinationPort = BinaryPrimitives.ReadUInt16BigEndian(payload[((2 * addressSize) + 2)..]);
        header = new ProxyHeader(length, 2, new IPEndPoint(source, sourcePort), new IPEndPoint(destination, destinationPort));
        return ProxyParseStatus.Complete;
    }

    /// <summary>Walks the TLVs (type, 16-bit length, value) without reading them: each must fit in what is left.</summary>
    private static bool TlvsAreWellFormed(ReadOnlySpan<byte> tlvs)
    {
        while (!tlvs.IsEmpty)
        {
            if (tlvs.Length < 3)
            {
                return false;
            }

            var valueLength = BinaryPrimitives.ReadUInt16BigEndian(tlvs[1..]);
            if (valueLength > tlvs.Length - 3)
            {
                return false;
            }

            tlvs = tlvs[(3 + valueLength)..];
        }

        return true;
    }

    private static ProxyParseStatus Reject(ProxyProtocolRejection reason, out ProxyProtocolRejection rejection)
    {
        rejection = reason;
        return ProxyParseStatus.Rejected;
    }
}
