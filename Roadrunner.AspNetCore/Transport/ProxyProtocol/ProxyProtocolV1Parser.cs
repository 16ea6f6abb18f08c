using System.Buffers;
using System.Net;
using System.Net.Sockets;

namespace Roadrunner.AspNetCore.Transport.ProxyProtocol;

/// <summary>
/// Parses a PROXY protocol version 1 (text) header: "PROXY TCP4|TCP6|UNKNOWN ... CRLF". It is separate from the
/// version 2 parser because the two formats share nothing but the contract of <see cref="ProxyProtocolParser"/>, which
/// picks one of them by the first byte; it is called only when that byte is 'P'.
/// </summary>
internal static class ProxyProtocolV1Parser
{
    /// <summary>The longest v1 header, CRLF included (the specification's bound).</summary>
    public const int MaxLength = 107;

    private const int PrefixLength = 6;

    private static readonly SearchValues<byte> DecimalOrDot = SearchValues.Create("0123456789."u8);
    private static readonly SearchValues<byte> HexColonOrDot = SearchValues.Create("0123456789abcdefABCDEF:."u8);

    /// <summary>"PROXY ", the first bytes of every v1 header.</summary>
    public static ReadOnlySpan<byte> Prefix => "PROXY "u8;

    /// <summary>Parses the start of <paramref name="data"/> (not empty, starting with 'P') as a v1 header.</summary>
    public static ProxyParseStatus Parse(ReadOnlySpan<byte> data, out ProxyHeader header, out ProxyProtocolRejection rejection)
    {
        header = default;
        rejection = default;
        var prefix = Math.Min(data.Length, PrefixLength);
        if (!data[..prefix].SequenceEqual(Prefix[..prefix]))
        {
            // "POST /..." starts with 'P' too: that is a connection without a header.
            return Reject(ProxyProtocolRejection.Missing, out rejection);
        }

        var window = data[..Math.Min(data.Length, MaxLength)];
        var cr = window.IndexOf((byte)'\r');
        if (cr < 0)
        {
            // Only printable ASCII may come before the CR: reject garbage now rather than at the length bound.
            if (window.IndexOfAnyExceptInRange((byte)0x20, (byte)0x7E) >= 0)
            {
                return Reject(ProxyProtocolRejection.Malformed, out rejection);
            }

            return window.Length >= MaxLength
                ? Reject(ProxyProtocolRejection.Oversized, out rejection)
                : ProxyParseStatus.NeedMoreData;
        }

        if (cr + 1 >= data.Length)
        {
            return cr + 2 > MaxLength ? Reject(ProxyProtocolRejection.Oversized, out rejection) : ProxyParseStatus.NeedMoreData;
        }

        if (data[cr + 1] != (byte)'\n' || cr + 2 > MaxLength)
        {
            return Reject(cr + 2 > MaxLength ? ProxyProtocolRejection.Oversized : ProxyProtocolRejection.Malformed, out rejection);
        }

        var line = data[PrefixLength..cr];
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

    private static ProxyParseStatus Reject(ProxyProtocolRejection reason, out ProxyProtocolRejection rejection)
    {
        rejection = reason;
        return ProxyParseStatus.Rejected;
    }
}
