using System.Buffers.Binary;
using System.Net;

namespace Roadrunner.AspNetCore.Transport.ProxyProtocol;

/// <summary>
/// Parses a PROXY protocol version 2 (binary) header: the 12-byte signature, version/command, family/transport, a
/// 16-bit length, then addresses and TLVs. It is separate from the version 1 parser because the two formats share
/// nothing but the contract of <see cref="ProxyProtocolParser"/>, which picks one of them by the first byte; it is
/// called only when that byte is the signature's first (CR).
/// </summary>
internal static class ProxyProtocolV2Parser
{
    /// <summary>
    /// The longest v2 header this library accepts: the 16 fixed bytes and 1 KiB of addresses and TLVs. HAProxy sends
    /// 28 bytes for TCP/IPv4 and 52 for TCP/IPv6; AWS NLB adds a few TLVs (VPC endpoint id) of some tens of bytes.
    /// </summary>
    public const int MaxLength = FixedLength + 1024;

    private const int FixedLength = 16;

    /// <summary>The 12-byte signature every v2 header starts with.</summary>
    public static ReadOnlySpan<byte> Signature => [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A];

    /// <summary>Parses the start of <paramref name="data"/> (not empty, starting with CR) as a v2 header.</summary>
    public static ProxyParseStatus Parse(ReadOnlySpan<byte> data, out ProxyHeader header, out ProxyProtocolRejection rejection)
    {
        header = default;
        rejection = default;
        var signature = Math.Min(data.Length, Signature.Length);
        if (!data[..signature].SequenceEqual(Signature[..signature]))
        {
            return Reject(ProxyProtocolRejection.Missing, out rejection);
        }

        if (data.Length > Signature.Length && data[12] >> 4 != 2)
        {
            return Reject(ProxyProtocolRejection.Malformed, out rejection); // Version 2 is the only binary version.
        }

        if (data.Length < FixedLength)
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

        var length = FixedLength + payloadLength;
        if (length > MaxLength)
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

        var payload = data.Slice(FixedLength, payloadLength);
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
