using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Roadrunner.AspNetCore.Tests.ProxyProtocol;

/// <summary>Builds PROXY protocol headers as a proxy would send them, and byte sequences split into segments.</summary>
public static class ProxyHeaders
{
    public static readonly byte[] V2Signature = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A];

    public static byte[] V1(IPEndPoint source, IPEndPoint destination)
    {
        var family = source.AddressFamily == AddressFamily.InterNetwork ? "TCP4" : "TCP6";
        return Encoding.ASCII.GetBytes($"PROXY {family} {source.Address} {destination.Address} {source.Port} {destination.Port}\r\n");
    }

    public static byte[] V1Unknown() => "PROXY UNKNOWN\r\n"u8.ToArray();

    /// <param name="command">0 LOCAL, 1 PROXY.</param>
    /// <param name="tlvs">(type, value) pairs appended after the addresses.</param>
    public static byte[] V2(IPEndPoint? source, IPEndPoint? destination, int command = 1, IEnumerable<(byte Type, byte[] Value)>? tlvs = null, byte? familyOverride = null)
    {
        var payload = new List<byte>();
        byte family = 0x00;
        if (source is not null && destination is not null)
        {
            family = source.AddressFamily == AddressFamily.InterNetwork ? (byte)0x11 : (byte)0x21;
            payload.AddRange(source.Address.GetAddressBytes());
            payload.AddRange(destination.Address.GetAddressBytes());
            payload.AddRange(BigEndian((ushort)source.Port));
            payload.AddRange(BigEndian((ushort)destination.Port));
        }

        foreach (var (type, value) in tlvs ?? [])
        {
            payload.Add(type);
            payload.AddRange(BigEndian((ushort)value.Length));
            payload.AddRange(value);
        }

        var header = new List<byte>(V2Signature) { (byte)(0x20 | command), familyOverride ?? family };
        header.AddRange(BigEndian((ushort)payload.Count));
        header.AddRange(payload);
        return [.. header];
    }

    public static byte[] BigEndian(ushort value)
    {
        var bytes = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(bytes, value);
        return bytes;
    }

    /// <summary>The bytes as a sequence of segments cut at <paramref name="cuts"/>.</summary>
    public static ReadOnlySequence<byte> Segmented(byte[] data, params int[] cuts)
    {
        var points = cuts.Where(c => c > 0 && c < data.Length).Distinct().Order().ToList();
        if (points.Count == 0)
        {
            return new ReadOnlySequence<byte>(data);
        }

        var bounds = new List<int> { 0 };
        bounds.AddRange(points);
        bounds.Add(data.Length);
        Segment? first = null;
        Segment? last = null;
        for (var i = 0; i < bounds.Count - 1; i++)
        {
            var memory = data.AsMemory(bounds[i], bounds[i + 1] - bounds[i]);
            last = last is null ? first = new Segment(memory, 0) : last.Append(memory);
        }

        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
