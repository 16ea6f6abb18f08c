using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;

namespace Roadrunner.AspNetCore.Tests.Infrastructure;

/// <summary>
/// A minimal h2c prior-knowledge client that exposes frames (GOAWAY, RST_STREAM) that HttpClient hides.
/// </summary>
public sealed class RawHttp2Client : IDisposable
{
    public const byte Data = 0x0, Headers = 0x1, RstStream = 0x3, Settings = 0x4, Ping = 0x6, GoAway = 0x7;
    public const int RefusedStream = 0x7;

    private readonly Socket _socket;

    private RawHttp2Client(Socket socket) => _socket = socket;

    public static async Task<RawHttp2Client> ConnectAsync(Uri url)
    {
        var client = new RawHttp2Client(await Net.ConnectAsync(url));
        await client._socket.SendAsync("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray());
        await client.SendFrameAsync(Settings, 0, 0, []);
        return client;
    }

    /// <summary>Sends GET <paramref name="path"/> on <paramref name="streamId"/> (HPACK without Huffman or indexing).</summary>
    public Task SendGetAsync(int streamId, string path)
    {
        var block = new List<byte> { 0x82, 0x86 }; // :method GET, :scheme http (static table)
        AddLiteral(block, 0x04, path);             // :path
        AddLiteral(block, 0x01, "localhost");      // :authority
        return SendFrameAsync(Headers, 0x5 /* END_STREAM | END_HEADERS */, streamId, [.. block]);
    }

    public async Task SendFrameAsync(byte type, byte flags, int streamId, byte[] payload)
    {
        var frame = new byte[9 + payload.Length];
        frame[0] = (byte)(payload.Length >> 16);
        frame[1] = (byte)(payload.Length >> 8);
        frame[2] = (byte)payload.Length;
        frame[3] = type;
        frame[4] = flags;
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(5), streamId);
        payload.CopyTo(frame, 9);
        await _socket.SendAsync(frame);
    }

    /// <summary>Reads the next frame; <see langword="null"/> when the server closed the connection.</summary>
    public async Task<Frame?> ReadFrameAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var header = new byte[9];
        if (!await ReadExactlyAsync(header, cts.Token))
        {
            return null;
        }

        var length = (header[0] << 16) | (header[1] << 8) | header[2];
        var payload = new byte[length];
        if (!await ReadExactlyAsync(payload, cts.Token))
        {
            return null;
        }

        var frame = new Frame(header[3], header[4], BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(5)) & int.MaxValue, payload);
        if (frame.Type == Settings && (frame.Flags & 0x1) == 0)
        {
            await SendFrameAsync(Settings, 0x1, 0, []); // ACK
        }

        return frame;
    }

    private async Task<bool> ReadExactlyAsync(byte[] buffer, CancellationToken cancellationToken)
    {
        var read = 0;
        try
        {
            while (read < buffer.Length)
            {
                var n = await _socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, cancellationToken);
                if (n == 0)
                {
                    return false;
                }

                read += n;
            }
        }
        catch (SocketException)
        {
            return false;
        }

        return true;
    }

    private static void AddLiteral(List<byte> block, byte nameIndex, string value)
    {
        block.Add(nameIndex);
        var bytes = Encoding.ASCII.GetBytes(value);
        block.Add((byte)bytes.Length);
        block.AddRange(bytes);
    }

    public void Dispose() => _socket.Dispose();

    public sealed record Frame(byte Type, byte Flags, int StreamId, byte[] Payload)
    {
        public bool EndStream => (Flags & 0x1) != 0;

        public int GoAwayLastStreamId => BinaryPrimitives.ReadInt32BigEndian(Payload) & int.MaxValue;

        public int ErrorCode => BinaryPrimitives.ReadInt32BigEndian(Type == GoAway ? Payload.AsSpan(4) : Payload);
    }
}
