using System.Net;
using System.Text;
using CsCheck;
using Roadrunner.AspNetCore.Transport.ProxyProtocol;

namespace Roadrunner.AspNetCore.Tests.ProxyProtocol;

/// <summary>
/// The PROXY protocol parser on its own: valid headers of both versions, every truncation, random bytes, wrong
/// signatures, lengths that lie, TLVs, and headers split over pipe segments anywhere.
/// </summary>
public sealed class ProxyProtocolParserTests
{
    private static readonly IPEndPoint Client4 = new(IPAddress.Parse("203.0.113.7"), 51234);
    private static readonly IPEndPoint Proxy4 = new(IPAddress.Parse("10.0.0.5"), 443);
    private static readonly IPEndPoint Client6 = new(IPAddress.Parse("2001:db8::7"), 40000);
    private static readonly IPEndPoint Proxy6 = new(IPAddress.Parse("2001:db8::1"), 8443);

    private static readonly Gen<IPEndPoint> EndPoint4 = Gen.Select(Gen.UInt, Gen.Int[0, 65535], (a, p) => new IPEndPoint(new IPAddress(a), p));
    private static readonly Gen<IPEndPoint> EndPoint6 = Gen.Select(Gen.Byte.Array[16], Gen.Int[0, 65535], (a, p) => new IPEndPoint(new IPAddress(a), p));
    private static readonly Gen<(IPEndPoint Source, IPEndPoint Destination)> Pair =
        Gen.OneOf(Gen.Select(EndPoint4, EndPoint4), Gen.Select(EndPoint6, EndPoint6));
    private static readonly Gen<(byte Type, byte[] Value)> Tlv = Gen.Select(Gen.Byte, Gen.Byte.Array[0, 40]);

    private static ProxyParseStatus Parse(byte[] data, ProxyProtocolMode mode, out ProxyHeader header, out ProxyProtocolRejection rejection) =>
        ProxyProtocolParser.TryParse(new System.Buffers.ReadOnlySequence<byte>(data), mode, out header, out rejection);

    [Theory]
    [InlineData(ProxyProtocolMode.V1)]
    [InlineData(ProxyProtocolMode.Any)]
    public void A_v1_header_gives_the_client_and_consumes_exactly_the_header(ProxyProtocolMode mode)
    {
        var header = ProxyHeaders.V1(Client4, Proxy4);
        var data = header.Concat("GET / HTTP/1.1\r\n"u8.ToArray()).ToArray();

        Parse(data, mode, out var parsed, out _).ShouldBe(ProxyParseStatus.Complete);
        parsed.Length.ShouldBe(header.Length);
        parsed.Version.ShouldBe(1);
        parsed.Source.ShouldBe(Client4);
        parsed.Destination.ShouldBe(Proxy4);

        Parse(ProxyHeaders.V1(Client6, Proxy6), mode, out parsed, out _).ShouldBe(ProxyParseStatus.Complete);
        parsed.Source.ShouldBe(Client6);
        parsed.Destination.ShouldBe(Proxy6);
    }

    [Fact]
    public void V1_UNKNOWN_is_complete_without_addresses()
    {
        Parse("PROXY UNKNOWN ffff::1 ffff::2 1 2\r\nGET"u8.ToArray(), ProxyProtocolMode.V1, out var parsed, out _).ShouldBe(ProxyParseStatus.Complete);
        parsed.HasAddresses.ShouldBeFalse();
        parsed.Length.ShouldBe("PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n".Length);
        Parse(ProxyHeaders.V1Unknown(), ProxyProtocolMode.V1, out parsed, out _).ShouldBe(ProxyParseStatus.Complete);
        parsed.HasAddresses.ShouldBeFalse();
    }

    [Theory]
    [InlineData("PROXY TCP4 203.0.113.7 10.0.0.5 51234\r\n")]            // a field missing
    [InlineData("PROXY TCP4 203.0.113.7 10.0.0.5 51234 443 1\r\n")]      // a field too many
    [InlineData("PROXY TCP4  203.0.113.7 10.0.0.5 51234 443\r\n")]       // two spaces
    [InlineData("PROXY TCP4 203.0.113.7 10.0.0.5 51234 443 \r\n")]       // trailing space
    [InlineData("PROXY TCP4 127.1 10.0.0.5 51234 443\r\n")]              // inet_aton form
    [InlineData("PROXY TCP4 2001:db8::7 10.0.0.5 51234 443\r\n")]        // IPv6 in TCP4
    [InlineData("PROXY TCP6 203.0.113.7 2001:db8::1 51234 443\r\n")]     // IPv4 in TCP6
    [InlineData("PROXY TCP6 fe80::1%eth0 2001:db8::1 51234 443\r\n")]    // scope id
    [InlineData("PROXY TCP4 203.0.113.7 10.0.0.5 65536 443\r\n")]        // port out of range
    [InlineData("PROXY TCP4 203.0.113.7 10.0.0.5 051234 443\r\n")]       // leading zero
    [InlineData("PROXY TCP4 203.0.113.7 10.0.0.5 -1 443\r\n")]
    [InlineData("PROXY TCP4 203.0.113.7 10.0.0.5 51234 443\n")]          // LF without CR
    [InlineData("PROXY TCP4 203.0.113.7 10.0.0.5 51234 443\rX")]         // CR without LF
    [InlineData("PROXY UDP4 203.0.113.7 10.0.0.5 51234 443\r\n")]
    [InlineData("PROXY tcp4 203.0.113.7 10.0.0.5 51234 443\r\n")]
    [InlineData("PROXY \u0001\r\n")]
    public void A_malformed_v1_header_is_rejected(string text)
    {
        Parse(Encoding.Latin1.GetBytes(text), ProxyProtocolMode.V1, out _, out var rejection).ShouldBe(ProxyParseStatus.Rejected, text);
        rejection.ShouldBe(ProxyProtocolRejection.Malformed, text);
    }

    [Fact]
    public void A_v1_line_over_107_bytes_is_oversized_without_waiting_for_its_end()
    {
        var data = Encoding.ASCII.GetBytes("PROXY UNKNOWN " + new string('x', 93)); // 107 bytes, no CRLF yet
        data.Length.ShouldBe(107);
        Parse(data, ProxyProtocolMode.V1, out _, out var rejection).ShouldBe(ProxyParseStatus.Rejected);
        rejection.ShouldBe(ProxyProtocolRejection.Oversized);

        // 105 characters and CRLF is 107 bytes: the longest header there is.
        var longest = Encoding.ASCII.GetBytes("PROXY UNKNOWN " + new string('x', 91) + "\r\n");
        longest.Length.ShouldBe(107);
        Parse(longest, ProxyProtocolMode.V1, out _, out _).ShouldBe(ProxyParseStatus.Complete);
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\n")]
    [InlineData("POST / HTTP/1.1\r\n")]   // starts with P, like PROXY
    [InlineData("PRI * HTTP/2.0\r\n")]    // the HTTP/2 preface too
    [InlineData("\u0016\u0003\u0001")]    // a TLS ClientHello
    public void A_connection_without_a_header_is_rejected_as_missing_at_once(string text)
    {
        foreach (var mode in new[] { ProxyProtocolMode.V1, ProxyProtocolMode.V2, ProxyProtocolMode.Any })
        {
            Parse(Encoding.Latin1.GetBytes(text), mode, out _, out var rejection).ShouldBe(ProxyParseStatus.Rejected, $"{mode}: {text}");
            rejection.ShouldBe(ProxyProtocolRejection.Missing);
        }
    }

    [Fact]
    public void A_header_of_the_other_version_is_missing()
    {
        Parse(ProxyHeaders.V2(Client4, Proxy4), ProxyProtocolMode.V1, out _, out var rejection).ShouldBe(ProxyParseStatus.Rejected);
        rejection.ShouldBe(ProxyProtocolRejection.Missing);
        Parse(ProxyHeaders.V1(Client4, Proxy4), ProxyProtocolMode.V2, out _, out rejection).ShouldBe(ProxyParseStatus.Rejected);
        rejection.ShouldBe(ProxyProtocolRejection.Missing);
    }

    [Theory]
    [InlineData(ProxyProtocolMode.V2)]
    [InlineData(ProxyProtocolMode.Any)]
    public void A_v2_header_gives_the_client_skips_TLVs_and_consumes_exactly_the_header(ProxyProtocolMode mode)
    {
        var header = ProxyHeaders.V2(Client4, Proxy4, tlvs: [(0x01, "h2"u8.ToArray()), (0xEA, new byte[30]), (0x04, [])]);
        var data = header.Concat("GET / HTTP/1.1\r\n"u8.ToArray()).ToArray();

        Parse(data, mode, out var parsed, out _).ShouldBe(ProxyParseStatus.Complete);
        parsed.Length.ShouldBe(header.Length);
        parsed.Version.ShouldBe(2);
        parsed.Source.ShouldBe(Client4);
        parsed.Destination.ShouldBe(Proxy4);

        Parse(ProxyHeaders.V2(Client6, Proxy6), mode, out parsed, out _).ShouldBe(ProxyParseStatus.Complete);
        parsed.Length.ShouldBe(16 + 36);
        parsed.Source.ShouldBe(Client6);
    }

    [Fact]
    public void V2_LOCAL_UDP_and_UNSPEC_keep_the_proxy_address()
    {
        Parse(ProxyHeaders.V2(null, null, command: 0), ProxyProtocolMode.V2, out var parsed, out _).ShouldBe(ProxyParseStatus.Complete);
        parsed.HasAddresses.ShouldBeFalse();
        parsed.Length.ShouldBe(16);

        // LOCAL with addresses (HAProxy's health checks send them): still ignored.
        Parse(ProxyHeaders.V2(Client4, Proxy4, command: 0), ProxyProtocolMode.V2, out parsed, out _).ShouldBe(ProxyParseStatus.Complete);
        parsed.HasAddresses.ShouldBeFalse();

        Parse(ProxyHeaders.V2(Client4, Proxy4, familyOverride: 0x12), ProxyProtocolMode.V2, out parsed, out _).ShouldBe(ProxyParseStatus.Complete); // UDP over IPv4
        parsed.HasAddresses.ShouldBeFalse();

        Parse(ProxyHeaders.V2(null, null, familyOverride: 0x00), ProxyProtocolMode.V2, out parsed, out _).ShouldBe(ProxyParseStatus.Complete); // PROXY UNSPEC
        parsed.HasAddresses.ShouldBeFalse();
    }

    [Fact]
    public void V2_lengths_that_lie_and_bad_fields_are_rejected()
    {
        // Version 1 in the binary header, command 2, family 4, transport 3.
        Expect(Patch(ProxyHeaders.V2(Client4, Proxy4), 12, 0x11), ProxyProtocolRejection.Malformed);
        Expect(Patch(ProxyHeaders.V2(Client4, Proxy4), 12, 0x22), ProxyProtocolRejection.Malformed);
        Expect(Patch(ProxyHeaders.V2(Client4, Proxy4), 13, 0x41), ProxyProtocolRejection.Malformed);
        Expect(Patch(ProxyHeaders.V2(Client4, Proxy4), 13, 0x13), ProxyProtocolRejection.Malformed);

        // A length too short for the addresses it announces (IPv4 needs 12, IPv6 36).
        Expect(Length(ProxyHeaders.V2(Client4, Proxy4), 11), ProxyProtocolRejection.Malformed);
        Expect(Length(ProxyHeaders.V2(Client6, Proxy6), 12), ProxyProtocolRejection.Malformed);

        // Longer than the bound: rejected from the 16 fixed bytes alone, before the rest arrives.
        Expect(Length(ProxyHeaders.V2(Client4, Proxy4), ProxyProtocolParser.MaxV2Length - 16 + 1)[..16], ProxyProtocolRejection.Oversized);
        Expect(Length(ProxyHeaders.V2(Client4, Proxy4), ushort.MaxValue)[..16], ProxyProtocolRejection.Oversized);

        // A TLV whose length runs past the header, and a TLV cut in its 3-byte head.
        var tlv = ProxyHeaders.V2(Client4, Proxy4, tlvs: [(0x01, new byte[10])]);
        Expect(Patch(tlv, 16 + 12 + 2, 11), ProxyProtocolRejection.Malformed);
        Expect(Length([.. ProxyHeaders.V2(Client4, Proxy4), 0x01, 0x00], 14), ProxyProtocolRejection.Malformed);

        // The header's length runs past the bytes received: more is needed, and the connection's end is the caller's "incomplete".
        Parse(Length(ProxyHeaders.V2(Client4, Proxy4), 200), ProxyProtocolMode.V2, out _, out _).ShouldBe(ProxyParseStatus.NeedMoreData);

        static void Expect(byte[] data, ProxyProtocolRejection expected)
        {
            Parse(data, ProxyProtocolMode.V2, out _, out var rejection).ShouldBe(ProxyParseStatus.Rejected);
            rejection.ShouldBe(expected);
        }

        static byte[] Patch(byte[] data, int index, byte value)
        {
            var copy = data.ToArray();
            copy[index] = value;
            return copy;
        }

        static byte[] Length(byte[] data, int length)
        {
            var copy = data.ToArray();
            ProxyHeaders.BigEndian((ushort)length).CopyTo(copy, 14);
            return copy;
        }
    }

    [Fact]
    public void Every_truncation_of_a_valid_header_needs_more_data_and_every_split_parses_the_same()
    {
        Pair.Select(Gen.Bool, Tlv.List[0, 4], Gen.Byte.Array[0, 20]).Sample((pair, v1, tlvs, trailer) =>
        {
            var header = v1 ? ProxyHeaders.V1(pair.Source, pair.Destination) : ProxyHeaders.V2(pair.Source, pair.Destination, tlvs: tlvs);
            var mode = v1 ? ProxyProtocolMode.V1 : ProxyProtocolMode.V2;
            for (var cut = 0; cut < header.Length; cut++)
            {
                if (Parse(header[..cut], mode, out _, out _) != ProxyParseStatus.NeedMoreData
                    || Parse(header[..cut], ProxyProtocolMode.Any, out _, out _) != ProxyParseStatus.NeedMoreData)
                {
                    return false;
                }
            }

            var data = header.Concat(trailer).ToArray();
            for (var cut = 0; cut <= data.Length; cut += 3)
            {
                var status = ProxyProtocolParser.TryParse(ProxyHeaders.Segmented(data, cut, cut + 5), ProxyProtocolMode.Any, out var parsed, out _);
                if (status != ProxyParseStatus.Complete || parsed.Length != header.Length
                    || !pair.Source.Equals(parsed.Source) || !pair.Destination.Equals(parsed.Destination))
                {
                    return false;
                }
            }

            return true;
        }, iter: 300);
    }

    [Fact]
    public void Random_bytes_never_throw_and_a_complete_header_stays_within_the_bytes_and_the_bound()
    {
        // Random bytes, and random bytes behind a valid signature or prefix (where the interesting branches are).
        var bytes = Gen.Frequency(
            (2, Gen.Byte.Array[0, 300]),
            (3, Gen.Byte.Array[0, 300].Select(b => ProxyHeaders.V2Signature.Concat(b).ToArray())),
            (2, Gen.Byte.Array[0, 120].Select(b => "PROXY "u8.ToArray().Concat(b).ToArray())),
            (2, Gen.String[Gen.Char["TCP46UNKOW0123456789abcdef.: \r\n"], 0, 110].Select(s => Encoding.ASCII.GetBytes("PROXY " + s))));
        bytes.Select(Gen.Enum<ProxyProtocolMode>(), Gen.Int[0, 300]).Sample((data, mode, cut) =>
        {
            if (mode == ProxyProtocolMode.Off)
            {
                mode = ProxyProtocolMode.Any;
            }

            var status = ProxyProtocolParser.TryParse(ProxyHeaders.Segmented(data, cut), mode, out var header, out _);
            var contiguous = Parse(data, mode, out var header2, out var rejection2);
            if (status != contiguous || header != header2)
            {
                return false;
            }

            return status != ProxyParseStatus.Complete
                || (header.Length <= data.Length && header.Length <= Math.Max(ProxyProtocolParser.MaxV1Length, ProxyProtocolParser.MaxV2Length));
        }, iter: 3000);
    }

    [Fact]
    public void A_wrong_signature_byte_anywhere_is_rejected_as_soon_as_it_arrives()
    {
        var header = ProxyHeaders.V2(Client4, Proxy4);
        for (var i = 1; i < ProxyHeaders.V2Signature.Length; i++)
        {
            var wrong = header.ToArray();
            wrong[i] ^= 0x40;
            Parse(wrong[..(i + 1)], ProxyProtocolMode.V2, out _, out var rejection).ShouldBe(ProxyParseStatus.Rejected, $"byte {i}");
            rejection.ShouldBe(ProxyProtocolRejection.Missing);
        }

        var v1 = ProxyHeaders.V1(Client4, Proxy4);
        for (var i = 1; i < 6; i++)
        {
            var wrong = v1.ToArray();
            wrong[i] = (byte)'x';
            Parse(wrong[..(i + 1)], ProxyProtocolMode.V1, out _, out var rejection).ShouldBe(ProxyParseStatus.Rejected, $"byte {i}");
            rejection.ShouldBe(ProxyProtocolRejection.Missing);
        }
    }

    [Fact]
    public void Trusted_proxies_parse_addresses_and_networks_and_name_the_problem()
    {
        var list = TrustedProxyList.Create(["10.0.0.0/8", "192.168.1.7", "fd00::/8"])!;
        list.Contains(new IPEndPoint(IPAddress.Parse("10.1.2.3"), 1)).ShouldBeTrue();
        list.Contains(new IPEndPoint(IPAddress.Parse("::ffff:10.1.2.3"), 1)).ShouldBeTrue(); // dual-mode socket
        list.Contains(new IPEndPoint(IPAddress.Parse("192.168.1.7"), 1)).ShouldBeTrue();
        list.Contains(new IPEndPoint(IPAddress.Parse("192.168.1.8"), 1)).ShouldBeFalse();
        list.Contains(new IPEndPoint(IPAddress.Parse("fd12::1"), 1)).ShouldBeTrue();
        list.Contains(new IPEndPoint(IPAddress.Loopback, 1)).ShouldBeFalse();
        TrustedProxyList.Create(null).ShouldBeNull();
        TrustedProxyList.Create([]).ShouldBeNull();

        foreach (var bad in new[] { "", "10.0.0.1/8", "10.0.0.0/33", "host.example", "127.1", "10.0.0.0/x", "[::1]" })
        {
            TrustedProxyList.TryParse(bad, out _, out var problem).ShouldBeFalse(bad);
            problem.ShouldNotBeEmpty();
        }
    }
}
