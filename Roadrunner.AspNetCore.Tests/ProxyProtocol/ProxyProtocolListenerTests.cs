using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Roadrunner.AspNetCore.Tests.Infrastructure;

namespace Roadrunner.AspNetCore.Tests.ProxyProtocol;

/// <summary>
/// Listeners with the PROXY protocol on, over real sockets on loopback: the header's client reaches the request, the
/// bytes after it reach Kestrel (plaintext and TLS), and connections without a valid header, from an untrusted address
/// or too slow are closed without a byte, counted, raised as an event and measured.
/// </summary>
public sealed class ProxyProtocolListenerTests : IAsyncLifetime
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);
    private static readonly IPEndPoint Client = new(IPAddress.Parse("203.0.113.7"), 51234);
    private static readonly IPEndPoint Proxied = new(IPAddress.Parse("198.51.100.1"), 443);
    private TestApp _app = null!;

    public async Task InitializeAsync() => _app = await TestApp.StartAsync(configureApp: MapWhoAmI);

    public async Task DisposeAsync() => await _app.DisposeAsync();

    /// <summary><c>/whoami</c> as text: listener|remote ip|remote port|local ip|local port.</summary>
    internal static void MapWhoAmI(WebApplication app) => app.MapGet("/whoami", (HttpContext context) =>
        $"{context.GetListenerName()}|{context.Connection.RemoteIpAddress}|{context.Connection.RemotePort}|{context.Connection.LocalIpAddress}|{context.Connection.LocalPort}");

    private async Task<Uri> StartAsync(string name, ProxyProtocolMode mode, Action<ListenerOptions>? configure = null)
    {
        var options = new ListenerOptions { ProxyProtocol = mode };
        configure?.Invoke(options);
        var info = await _app.Manager.StartAsync(name, options);
        info.ProxyProtocol.ShouldBe(mode);
        return info.Url;
    }

    [Theory]
    [InlineData(ProxyProtocolMode.V1, 1)]
    [InlineData(ProxyProtocolMode.V2, 2)]
    [InlineData(ProxyProtocolMode.Any, 1)]
    [InlineData(ProxyProtocolMode.Any, 2)]
    public async Task The_request_sees_the_client_of_the_header_on_every_request_of_the_connection(ProxyProtocolMode mode, int version)
    {
        var name = $"pp-{mode}-{version}".ToLowerInvariant();
        var url = await StartAsync(name, mode);
        using var socket = await Net.ConnectAsync(url);
        var header = version == 1 ? ProxyHeaders.V1(Client, Proxied) : ProxyHeaders.V2(Client, Proxied, tlvs: [(0x04, new byte[8])]);

        // The header and the request in one segment: the parser must leave the request in the pipe for Kestrel.
        await socket.SendAsync(header.Concat("GET /whoami HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray()).ToArray());
        (await Net.ReadResponseAsync(socket).WaitAsync(Bound)).ShouldContain($"{name}|203.0.113.7|51234|198.51.100.1|443");
        (await Net.SendRawAsync(socket, "/whoami").WaitAsync(Bound)).ShouldContain($"{name}|203.0.113.7|51234|198.51.100.1|443");
        _app.Manager.GetListener(name)!.ProxyProtocolRejected.ShouldBe(0);
    }

    [Fact]
    public async Task A_header_that_trickles_in_byte_by_byte_is_read_whole()
    {
        var url = await StartAsync("pp-trickle", ProxyProtocolMode.V2);
        using var socket = await Net.ConnectAsync(url);
        foreach (var b in ProxyHeaders.V2(Client, Proxied))
        {
            await socket.SendAsync(new[] { b });
        }

        (await Net.SendRawAsync(socket, "/whoami").WaitAsync(Bound)).ShouldContain("pp-trickle|203.0.113.7|51234|198.51.100.1|443");
    }

    [Fact]
    public async Task HttpClient_over_TLS_after_the_header_sees_the_client_of_the_header()
    {
        using var certificate = Net.CreateCertificate("localhost");
        var info = await _app.Manager.StartAsync("pp-tls", new ListenerOptions
        {
            ProxyProtocol = ProxyProtocolMode.V2,
            UseTls = true,
            Certificate = certificate,
            Protocols = ListenerProtocols.Http1AndHttp2,
        });

        foreach (var version in new[] { HttpVersion.Version11, HttpVersion.Version20 })
        {
            using var client = Net.Client(info.Url, version, handler =>
            {
                handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
                handler.ConnectCallback = (context, ct) => ConnectWithHeaderAsync(context.DnsEndPoint.Port, ProxyHeaders.V2(Client, Proxied), ct);
            });
            (await client.GetStringAsync("/whoami").WaitAsync(Bound)).ShouldBe("pp-tls|203.0.113.7|51234|198.51.100.1|443");
        }
    }

    [Fact]
    public async Task Curl_with_haproxy_protocol_is_served_and_curl_without_it_gets_an_empty_reply()
    {
        await ExternalTools.RequireAsync("curl");
        var url = await StartAsync("pp-curl", ProxyProtocolMode.V1);
        var withHeader = await CurlAsync("--haproxy-protocol", new Uri(url, "/whoami").ToString());
        withHeader.ExitCode.ShouldBe(0, withHeader.Output);

        // curl writes its own socket's addresses into the header: 127.0.0.1 and its ephemeral port, to the listener's port.
        var fields = withHeader.Output.Trim().Split('|');
        fields[0].ShouldBe("pp-curl");
        fields[1].ShouldBe("127.0.0.1");
        int.Parse(fields[2], System.Globalization.CultureInfo.InvariantCulture).ShouldBeGreaterThan(0);
        fields[4].ShouldBe(url.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));

        var without = await CurlAsync(new Uri(url, "/whoami").ToString());
        without.ExitCode.ShouldBe(52, without.Output); // CURLE_GOT_NOTHING: "Empty reply from server"
        _app.Manager.GetListener("pp-curl")!.ProxyProtocolRejected.ShouldBe(1);
    }

    [Fact]
    public async Task A_connection_without_a_header_is_closed_without_a_byte_counted_raised_and_measured()
    {
        using var events = new EventRecorder();
        var measured = new ConcurrentQueue<string>();
        using var meterListener = new MeterListener();
        meterListener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == RoadrunnerEvents.MeterName && instrument.Name == "roadrunner.proxy_protocol.rejected")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        meterListener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            var listener = tags.ToArray().FirstOrDefault(t => t.Key == "roadrunner.listener.name").Value as string;
            var reason = tags.ToArray().FirstOrDefault(t => t.Key == "roadrunner.proxy_protocol.reason").Value as string;
            if (listener == "pp-missing")
            {
                measured.Enqueue(reason!);
            }
        });
        meterListener.Start();

        var url = await StartAsync("pp-missing", ProxyProtocolMode.V2);
        using var socket = await Net.ConnectAsync(url);
        await socket.SendAsync("GET /whoami HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());
        (await Net.ReadUntilClosedAsync(socket, Bound)).Bytes.ShouldBe(0);

        var rejected = await events.WaitForAsync<ProxyProtocolRejectedEvent>(RoadrunnerEvents.ProxyProtocolRejected, e => e.ListenerName == "pp-missing", Bound);
        rejected.Reason.ShouldBe("missing");
        rejected.RemoteAddress.ShouldBe("127.0.0.1");
        rejected.RemotePort.ShouldBe(((IPEndPoint)socket.LocalEndPoint!).Port);
        (await Net.EventuallyAsync(() => _app.Manager.GetListener("pp-missing")!.ActiveConnections == 0, Bound)).ShouldBeTrue();
        _app.Manager.GetListener("pp-missing")!.ProxyProtocolRejected.ShouldBe(1);
        measured.ShouldBe(["missing"]);
        _app.Logs.Entries.ShouldContain(e => e.EventId.Id == 45 && e.Message.Contains("pp-missing", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_header_from_an_untrusted_address_is_refused_and_one_from_a_trusted_network_is_served()
    {
        var refused = await StartAsync("pp-untrusted", ProxyProtocolMode.V1, o => o.TrustedProxies = ["10.0.0.0/8", "192.168.0.1"]);
        using var events = new EventRecorder();
        using (var socket = await Net.ConnectAsync(refused))
        {
            await socket.SendAsync(ProxyHeaders.V1(Client, Proxied).Concat("GET /whoami HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray()).ToArray());
            (await Net.ReadUntilClosedAsync(socket, Bound)).Bytes.ShouldBe(0);
        }

        (await events.WaitForAsync<ProxyProtocolRejectedEvent>(RoadrunnerEvents.ProxyProtocolRejected, e => e.ListenerName == "pp-untrusted", Bound)).Reason.ShouldBe("untrusted");
        _app.Manager.GetListener("pp-untrusted")!.ProxyProtocolRejected.ShouldBe(1);

        var trusted = await StartAsync("pp-trusted", ProxyProtocolMode.V1, o => o.TrustedProxies = ["10.0.0.0/8", "127.0.0.0/8"]);
        using var served = await Net.ConnectAsync(trusted);
        await served.SendAsync(ProxyHeaders.V1(Client, Proxied));
        (await Net.SendRawAsync(served, "/whoami").WaitAsync(Bound)).ShouldContain("pp-trusted|203.0.113.7|51234|198.51.100.1|443");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task LOCAL_and_UNKNOWN_keep_the_proxy_address(int version)
    {
        var name = $"pp-local-{version}";
        var url = await StartAsync(name, ProxyProtocolMode.Any);
        using var socket = await Net.ConnectAsync(url);
        await socket.SendAsync(version == 1 ? ProxyHeaders.V1Unknown() : ProxyHeaders.V2(Client, Proxied, command: 0));
        var own = (IPEndPoint)socket.LocalEndPoint!;
        (await Net.SendRawAsync(socket, "/whoami").WaitAsync(Bound)).ShouldContain($"{name}|127.0.0.1|{own.Port}|127.0.0.1|{url.Port}");
    }

    [Fact]
    public async Task A_header_slower_than_the_timeout_is_closed_after_the_timeout_without_holding_up_other_connections()
    {
        var url = await StartAsync("pp-slow", ProxyProtocolMode.V2, o => o.ProxyProtocolHeaderTimeout = TimeSpan.FromMilliseconds(500));
        using var events = new EventRecorder();
        // Started before the connect: the server's header timer starts at accept, which may come before this side's
        // connect returns on a loaded machine.
        var clock = Stopwatch.StartNew();
        using var slow = await Net.ConnectAsync(url);
        await slow.SendAsync(ProxyHeaders.V2(Client, Proxied)[..10]);

        // Meanwhile the accept loop takes and serves another connection.
        using (var fast = await Net.ConnectAsync(url))
        {
            await fast.SendAsync(ProxyHeaders.V2(Client, Proxied));
            (await Net.SendRawAsync(fast, "/whoami").WaitAsync(Bound)).ShouldContain("pp-slow|203.0.113.7|51234|198.51.100.1|443");
        }

        (await Net.ReadUntilClosedAsync(slow, Bound)).Bytes.ShouldBe(0);
        clock.Elapsed.ShouldBeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(450));
        (await events.WaitForAsync<ProxyProtocolRejectedEvent>(RoadrunnerEvents.ProxyProtocolRejected, e => e.ListenerName == "pp-slow", Bound)).Reason.ShouldBe("timeout");
    }

    [Fact]
    public async Task A_malformed_or_oversized_header_is_closed_without_a_byte_and_the_listener_drains_with_a_header_pending()
    {
        var url = await StartAsync("pp-bad", ProxyProtocolMode.Any);
        using var events = new EventRecorder();
        using (var malformed = await Net.ConnectAsync(url))
        {
            await malformed.SendAsync("PROXY TCP4 1.2.3.4 5.6.7.8 99999 80\r\n"u8.ToArray());
            (await Net.ReadUntilClosedAsync(malformed, Bound)).Bytes.ShouldBe(0);
        }

        using (var oversized = await Net.ConnectAsync(url))
        {
            var header = ProxyHeaders.V2(Client, Proxied);
            ProxyHeaders.BigEndian(4000).CopyTo(header, 14);
            await oversized.SendAsync(header);
            (await Net.ReadUntilClosedAsync(oversized, Bound)).Bytes.ShouldBe(0);
        }

        (await Net.EventuallyAsync(() => events.Payloads<ProxyProtocolRejectedEvent>(RoadrunnerEvents.ProxyProtocolRejected).Count(e => e.ListenerName == "pp-bad") == 2, Bound)).ShouldBeTrue();
        events.Payloads<ProxyProtocolRejectedEvent>(RoadrunnerEvents.ProxyProtocolRejected).Where(e => e.ListenerName == "pp-bad").Select(e => e.Reason)
            .ShouldBe(["malformed", "oversized"], ignoreOrder: true);

        // A connection still waiting for its header is not served yet; a drain's deadline closes it.
        using var pending = await Net.ConnectAsync(url);
        (await Net.EventuallyAsync(() => _app.Manager.GetListener("pp-bad")!.ActiveConnections == 1, Bound)).ShouldBeTrue();
        var result = await _app.Manager.DrainAsync("pp-bad", TimeSpan.FromMilliseconds(200)).WaitAsync(Bound);
        result!.AbortedConnections.ShouldBe(1);
        (await Net.ReadUntilClosedAsync(pending, Bound)).Bytes.ShouldBe(0);
    }

    [Fact]
    public async Task Off_reads_no_header_and_a_PROXY_line_is_just_a_bad_request()
    {
        var url = await StartAsync("pp-off", ProxyProtocolMode.Off);
        using var socket = await Net.ConnectAsync(url);
        (await Net.SendRawAsync(socket, "/whoami").WaitAsync(Bound)).ShouldContain("pp-off|127.0.0.1|");
        _app.Manager.GetListener("pp-off")!.ProxyProtocolRejected.ShouldBe(0);
    }

    internal static async ValueTask<Stream> ConnectWithHeaderAsync(int port, byte[] header, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(IPAddress.Loopback, port, cancellationToken);
            await socket.SendAsync(header, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    internal static async Task<(int ExitCode, string Output)> CurlAsync(params string[] arguments)
    {
        using var curl = ChildProcess.Start("curl", ["-sS", "--max-time", "15", .. arguments]);
        (await curl.WaitForExitAsync(Bound)).ShouldBeTrue(curl.Describe());
        return (curl.ExitCode!.Value, string.Join('\n', curl.StdoutLines.Concat(curl.StderrLines)));
    }
}
