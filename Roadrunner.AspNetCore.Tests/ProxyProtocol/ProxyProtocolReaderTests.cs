using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Connections;
using Roadrunner.AspNetCore.Transport.ProxyProtocol;

namespace Roadrunner.AspNetCore.Tests.ProxyProtocol;

/// <summary>
/// The reader's synchronous path: a header already in the pipe when the connection is admitted (the usual case, since a
/// proxy sends it as it connects) is applied at once, consuming exactly the header; a partial one is left to the
/// asynchronous read, which then completes it.
/// </summary>
public sealed class ProxyProtocolReaderTests
{
    private static readonly IPEndPoint Client = new(IPAddress.Parse("203.0.113.7"), 51234);
    private static readonly IPEndPoint Proxied = new(IPAddress.Parse("198.51.100.1"), 443);
    private static readonly byte[] Request = Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n");

    [Fact]
    public async Task A_buffered_header_is_applied_synchronously_and_only_the_header_is_consumed()
    {
        var (connection, writer) = Connection();
        await writer.WriteAsync(ProxyHeaders.V2(Client, Proxied).Concat(Request).ToArray());

        ProxyProtocolReader.TryReadBuffered(connection, ProxyProtocolMode.V2, out var rejection).ShouldBeTrue();

        rejection.ShouldBeNull();
        connection.RemoteEndPoint.ShouldBe(Client);
        connection.LocalEndPoint.ShouldBe(Proxied);
        (await RemainingAsync(connection)).ShouldBe(Request);
    }

    [Fact]
    public async Task A_partial_header_is_left_to_the_asynchronous_read_which_completes_it()
    {
        var (connection, writer) = Connection();
        var header = ProxyHeaders.V2(Client, Proxied);
        await writer.WriteAsync(header.AsMemory(0, 10));

        ProxyProtocolReader.TryReadBuffered(connection, ProxyProtocolMode.V2, out _).ShouldBeFalse();
        var pending = ProxyProtocolReader.ReadAsync(connection, ProxyProtocolMode.V2, TimeSpan.FromSeconds(30), TimeProvider.System);
        pending.IsCompleted.ShouldBeFalse();
        await writer.WriteAsync(header.AsMemory(10).ToArray().Concat(Request).ToArray());

        (await pending.WaitAsync(TimeSpan.FromSeconds(10))).ShouldBeNull();
        connection.RemoteEndPoint.ShouldBe(Client);
        (await RemainingAsync(connection)).ShouldBe(Request);
    }

    [Fact]
    public async Task A_buffered_request_without_a_header_is_refused_synchronously()
    {
        var (connection, writer) = Connection();
        await writer.WriteAsync(Request);

        ProxyProtocolReader.TryReadBuffered(connection, ProxyProtocolMode.V2, out var rejection).ShouldBeTrue();

        rejection.ShouldNotBeNull();
        connection.RemoteEndPoint.ShouldBeNull();
    }

    private static (ConnectionContext Connection, PipeWriter Writer) Connection()
    {
        var input = new Pipe();
        var output = new Pipe();
        var connection = new DefaultConnectionContext("test", new DuplexPipe(input.Reader, output.Writer), new DuplexPipe(output.Reader, input.Writer));
        return (connection, input.Writer);
    }

    private static async Task<byte[]> RemainingAsync(ConnectionContext connection)
    {
        var result = await connection.Transport.Input.ReadAsync();
        var bytes = result.Buffer.ToArray();
        connection.Transport.Input.AdvanceTo(result.Buffer.End);
        return bytes;
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
