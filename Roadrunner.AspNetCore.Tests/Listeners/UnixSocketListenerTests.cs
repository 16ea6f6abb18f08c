using System.Net.Sockets;
using System.Text.Json;
using Roadrunner.AspNetCore.Tests.Infrastructure;
using Roadrunner.AspNetCore.Tests.ProxyProtocol;

namespace Roadrunner.AspNetCore.Tests.Listeners;

/// <summary>
/// Listeners on Unix domain sockets (<c>Address = "unix:/path"</c>) with real clients: curl, HttpClient over the
/// socket; the socket file's life (stale file replaced, a live one or a non-socket refused, removed on stop and drain,
/// its mode); requests without a remote IP, and the PROXY protocol over the socket.
/// </summary>
public sealed class UnixSocketListenerTests : IAsyncLifetime
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);
    private TestApp _app = null!;
    private string _folder = null!;

    public async Task InitializeAsync()
    {
        // Short: a socket path is at most 107 bytes.
        _folder = Directory.CreateTempSubdirectory("rr-").FullName;
        _app = await TestApp.StartAsync(configureApp: ProxyProtocolListenerTests.MapWhoAmI);
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }

    private string PathOf(string name) => Path.Combine(_folder, $"{name}.sock");

    private Task<ListenerInfo> StartAsync(string name, Action<ListenerOptions>? configure = null)
    {
        var options = new ListenerOptions { Address = $"unix:{PathOf(name)}" };
        configure?.Invoke(options);
        return _app.Manager.StartAsync(name, options);
    }

    internal static HttpClient UnixClient(string path) => Net.Client(new Uri("http://localhost"), configure: handler =>
        handler.ConnectCallback = async (_, ct) =>
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), ct);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        });

    [Fact]
    public async Task Curl_over_the_socket_gets_200_and_the_request_has_no_remote_IP()
    {
        await ExternalTools.RequireAsync("curl");
        var info = await StartAsync("ux-curl");
        info.Address.ShouldBe($"unix:{PathOf("ux-curl")}");
        info.UnixSocketPath.ShouldBe(PathOf("ux-curl"));
        info.Port.ShouldBe(0);
        info.Url.ShouldBe(new Uri("http://localhost"));

        var (exitCode, output) = await ProxyProtocolListenerTests.CurlAsync("-w", "\n%{http_code}", "--unix-socket", PathOf("ux-curl"), "http://localhost/whoami");
        exitCode.ShouldBe(0, output);
        output.ShouldBe("ux-curl||0||0\n200");
    }

    [Fact]
    public async Task HttpClient_over_the_socket_is_served_and_the_listener_object_serializes_with_the_path()
    {
        using var events = new EventRecorder();
        var info = await StartAsync("ux-client");
        var started = events.Payloads<ListenerStartedEvent>(RoadrunnerEvents.ListenerStarted).Single(e => e.ListenerName == "ux-client");
        started.UnixSocketPath.ShouldBe(PathOf("ux-client"));
        using var client = UnixClient(PathOf("ux-client"));
        (await client.GetStringAsync("/").WaitAsync(Bound)).ShouldBe("listener=ux-client");
        (await client.GetStringAsync("/whoami").WaitAsync(Bound)).ShouldBe("ux-client||0||0");
        _app.Manager.GetListener("ux-client")!.RequestsServed.ShouldBe(2);

        var json = JsonSerializer.Serialize(info, RoadrunnerJsonContext.Default.ListenerInfo);
        json.ShouldContain($"\"address\":\"unix:{PathOf("ux-client")}\"");
        json.ShouldContain("\"port\":0");
        var back = JsonSerializer.Deserialize(json, RoadrunnerJsonContext.Default.ListenerInfo)!;
        back.UnixSocketPath.ShouldBe(PathOf("ux-client"));
        back.Address.ShouldBe(info.Address);
    }

    [Fact]
    public async Task The_socket_file_is_removed_on_stop_and_after_a_drain_and_the_path_is_reusable()
    {
        await StartAsync("ux-stop");
        File.Exists(PathOf("ux-stop")).ShouldBeTrue();
        (await _app.Manager.StopAsync("ux-stop")).ShouldBeTrue();
        File.Exists(PathOf("ux-stop")).ShouldBeFalse();
        await StartAsync("ux-stop");
        (await _app.Manager.StopAsync("ux-stop")).ShouldBeTrue();

        await StartAsync("ux-drain");
        using var client = UnixClient(PathOf("ux-drain"));
        (await client.GetStringAsync("/").WaitAsync(Bound)).ShouldBe("listener=ux-drain"); // a kept-alive connection
        var slow = client.GetStringAsync("/slow?ms=300");
        (await Net.EventuallyAsync(() => _app.Manager.GetListener("ux-drain")!.RequestsServed == 2, Bound)).ShouldBeTrue();

        var result = await _app.Manager.DrainAsync("ux-drain", TimeSpan.FromSeconds(10)).WaitAsync(Bound);
        result!.Outcome.ShouldBe(DrainOutcome.Drained);
        result.GracefulConnections.ShouldBe(1);
        (await slow.WaitAsync(Bound)).ShouldBe("done");
        File.Exists(PathOf("ux-drain")).ShouldBeFalse();
    }

    [Fact]
    public async Task A_stale_socket_file_is_replaced_and_logged()
    {
        // A socket file nobody accepts on, as a crashed process leaves it: bind, move the file away from the socket, close.
        var stale = PathOf("ux-stale");
        using (var crashed = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            crashed.Bind(new UnixDomainSocketEndPoint(stale + ".tmp"));
            File.Move(stale + ".tmp", stale);
        }

        File.Exists(stale).ShouldBeTrue();
        await StartAsync("ux-stale");
        using var client = UnixClient(stale);
        (await client.GetStringAsync("/").WaitAsync(Bound)).ShouldBe("listener=ux-stale");
        _app.Logs.Entries.ShouldContain(e => e.EventId.Id == 46 && e.Message.Contains(stale, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_live_socket_is_address_in_use_and_keeps_working_and_a_file_that_is_not_a_socket_is_left_alone()
    {
        await StartAsync("ux-live");
        var error = await Should.ThrowAsync<ListenerBindException>(() => _app.Manager.StartAsync("ux-live-2", new ListenerOptions { Address = $"unix:{PathOf("ux-live")}" }));
        error.AddressInUse.ShouldBeTrue();
        error.Message.ShouldContain(PathOf("ux-live"));
        _app.Manager.GetListener("ux-live-2").ShouldBeNull();
        using (var client = UnixClient(PathOf("ux-live")))
        {
            (await client.GetStringAsync("/").WaitAsync(Bound)).ShouldBe("listener=ux-live");
        }

        var regular = PathOf("ux-regular");
        await File.WriteAllTextAsync(regular, "not a socket");
        var notSocket = await Should.ThrowAsync<ListenerBindException>(() => StartAsync("ux-regular"));
        notSocket.AddressInUse.ShouldBeFalse();
        notSocket.Message.ShouldContain("is not a socket file");
        (await File.ReadAllTextAsync(regular)).ShouldBe("not a socket");
        _app.Manager.GetListener("ux-regular").ShouldBeNull();
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task The_file_mode_is_applied()
    {
        await StartAsync("ux-mode", o => o.UnixSocketMode = "600");
        File.GetUnixFileMode(PathOf("ux-mode")).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        await StartAsync("ux-mode-2", o => o.UnixSocketMode = "0666");
        File.GetUnixFileMode(PathOf("ux-mode-2")).ShouldBe((UnixFileMode)0x1B6);
    }

    [Fact]
    public async Task The_PROXY_protocol_works_over_a_Unix_socket()
    {
        await StartAsync("ux-proxy", o => o.ProxyProtocol = ProxyProtocolMode.V2);
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(PathOf("ux-proxy"))).WaitAsync(Bound);
        await socket.SendAsync(ProxyHeaders.V2(new(System.Net.IPAddress.Parse("203.0.113.7"), 51234), new(System.Net.IPAddress.Parse("198.51.100.1"), 443)));
        (await Net.SendRawAsync(socket, "/whoami").WaitAsync(Bound)).ShouldContain("ux-proxy|203.0.113.7|51234|198.51.100.1|443");
    }

    [Theory]
    [InlineData("unix:relative.sock", 0, null, "Address: 'unix:relative.sock' is not a usable Unix domain socket address: the path must be absolute")]
    [InlineData("unix:/tmp/rr-x.sock", 80, null, "Roadrunner:Listeners:bad:Port: a Unix domain socket listener has no port (got 80)")]
    [InlineData("unix:/nonexistent-dir-rr/a.sock", 0, null, "the directory '/nonexistent-dir-rr' does not exist")]
    [InlineData("unix:/tmp/rr-x.sock", 0, "999", "Roadrunner:Listeners:bad:UnixSocketMode: '999' is not a file mode")]
    [InlineData("unix:/tmp/rr-x.sock", 0, "4755", "Roadrunner:Listeners:bad:UnixSocketMode: '4755' is not a file mode")]
    [InlineData("127.0.0.1", 0, "660", "Roadrunner:Listeners:bad:UnixSocketMode: applies only to a Unix domain socket listener")]
    public async Task Invalid_unix_options_are_validation_errors_naming_the_key(string address, int port, string? mode, string message)
    {
        var error = await Should.ThrowAsync<Microsoft.Extensions.Options.OptionsValidationException>(() =>
            _app.Manager.StartAsync("bad", new ListenerOptions { Address = address, Port = port, UnixSocketMode = mode }));
        error.Message.ShouldContain(message);
        _app.Manager.GetListener("bad").ShouldBeNull();
    }

    [Fact]
    public async Task A_path_over_107_bytes_is_a_validation_error()
    {
        var path = "/tmp/" + new string('a', 103) + ".sock";
        var error = await Should.ThrowAsync<Microsoft.Extensions.Options.OptionsValidationException>(() =>
            _app.Manager.StartAsync("long", new ListenerOptions { Address = $"unix:{path}" }));
        error.Message.ShouldContain("Unix domain socket paths are at most 107 bytes");
    }
}
