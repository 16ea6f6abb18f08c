using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Roadrunner.AspNetCore.Tests.Docs;
using Roadrunner.AspNetCore.Tests.Infrastructure;

namespace Roadrunner.AspNetCore.Tests.ProxyProtocol;

/// <summary>
/// HAProxy from Debian (installed by scripts/ensure-tools.sh when missing) in TCP mode in front of a listener, with
/// <c>send-proxy</c> and <c>send-proxy-v2</c>: the app sees the original client's address and port, and the port the
/// client connected to at HAProxy. HAProxy runs as this test's own foreground process with a generated configuration
/// on loopback and is stopped by its own id.
/// </summary>
public sealed class HaProxyTests : IAsyncLifetime
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);
    private TestApp _app = null!;
    private string _folder = null!;

    public async Task InitializeAsync()
    {
        await ExternalTools.RequireAsync("haproxy");
        _app = await TestApp.StartAsync(configureApp: ProxyProtocolListenerTests.MapWhoAmI);
        _folder = Directory.CreateTempSubdirectory("rr-haproxy-").FullName;
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task Behind_HAProxy_with_send_proxy_and_send_proxy_v2_the_app_sees_the_original_client()
    {
        var info = await _app.Manager.StartAsync("behind-haproxy", new ListenerOptions
        {
            ProxyProtocol = ProxyProtocolMode.Any,
            TrustedProxies = ["127.0.0.1"],
        });
        // HAProxy cannot report a port 0 back, so it binds ports found free a moment earlier; a client socket of a test
        // running beside this one may take such a port in between: then HAProxy says so and exits, and two fresh ports
        // are tried (three attempts in all).
        int[] ports = [];
        ChildProcess? started = null;
        for (var attempt = 1; started is null; attempt++)
        {
            ports = FreePorts(2);
            var config = Path.Combine(_folder, "haproxy.cfg");
            await File.WriteAllTextAsync(config, $"""
                global
                    maxconn 100
                defaults
                    mode tcp
                    timeout connect 5s
                    timeout client 30s
                    timeout server 30s
                frontend v1
                    bind 127.0.0.1:{ports[0]}
                    default_backend app_v1
                frontend v2
                    bind 127.0.0.1:{ports[1]}
                    default_backend app_v2
                backend app_v1
                    server app 127.0.0.1:{info.Port} send-proxy
                backend app_v2
                    server app 127.0.0.1:{info.Port} send-proxy-v2

                """); // HAProxy wants the last line to end with a newline.

            var process = ChildProcess.Start("haproxy", ["-f", config, "-db"], workingDirectory: _folder);
            if (await WaitListeningAsync(ports[0], process) && await WaitListeningAsync(ports[1], process))
            {
                started = process;
                break;
            }

            await process.WaitForExitAsync(TimeSpan.FromSeconds(2));
            var description = process.Describe();
            process.Dispose();
            if (attempt == 3 || !description.Contains("Address already in use", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"HAProxy does not listen on {ports[0]} and {ports[1]} (attempt {attempt}): {description}\n{await File.ReadAllTextAsync(config)}");
            }
        }

        using var haproxy = started;
        foreach (var port in ports)
        {
            // Through HAProxy on each port, keep-alive: every request shows this socket's own address and port.
            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await client.ConnectAsync(IPAddress.Loopback, port).WaitAsync(Bound);
            var own = ((IPEndPoint)client.LocalEndPoint!).Port.ToString(CultureInfo.InvariantCulture);
            var expected = $"behind-haproxy|127.0.0.1|{own}|127.0.0.1|{port.ToString(CultureInfo.InvariantCulture)}";
            (await Net.SendRawAsync(client, "/whoami").WaitAsync(Bound)).ShouldContain(expected, customMessage: haproxy.Describe());
            (await Net.SendRawAsync(client, "/whoami").WaitAsync(Bound)).ShouldContain(expected, customMessage: haproxy.Describe());
        }

        _app.Manager.GetListener("behind-haproxy")!.ProxyProtocolRejected.ShouldBe(0);
    }

    private static int[] FreePorts(int count)
    {
        // Bound together so they differ; HAProxy binds them a moment later (it cannot report a port 0 back).
        var sockets = Enumerable.Range(0, count).Select(_ =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            return socket;
        }).ToList();
        var ports = sockets.Select(s => ((IPEndPoint)s.LocalEndPoint!).Port).ToArray();
        sockets.ForEach(s => s.Dispose());
        return ports;
    }

    private static async Task<bool> WaitListeningAsync(int port, ChildProcess haproxy)
    {
        // Bounded: 200 tries 50 ms apart at most (10 s), or until HAProxy exits.
        for (var attempt = 0; attempt < 200 && !haproxy.HasExited; attempt++)
        {
            using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await probe.ConnectAsync(IPAddress.Loopback, port);

                // A whole request, not a bare connect: a client that leaves at once makes HAProxy drop its backend
                // connection before (or without) the header, which the listener would rightly count as rejected.
                await Net.SendRawAsync(probe, "/whoami", close: true).WaitAsync(Bound);
                return true;
            }
            catch (SocketException)
            {
                await Task.Delay(50);
            }
        }

        return false;
    }
}
