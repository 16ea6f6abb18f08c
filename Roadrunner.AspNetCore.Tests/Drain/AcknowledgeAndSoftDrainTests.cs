using System.Net.WebSockets;
using Roadrunner.AspNetCore.Tests.Infrastructure;

namespace Roadrunner.AspNetCore.Tests.Drain;

public sealed class AcknowledgeAndSoftDrainTests : IAsyncLifetime
{
    private readonly EventRecorder _events = new();
    private TestApp _app = null!;

    public async Task InitializeAsync() => _app = await TestApp.StartAsync(plainEndpoint: true);

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        _events.Dispose();
    }

    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..24];

    [Fact]
    public async Task Acknowledging_with_no_drain_in_flight_is_harmless_and_has_no_deadline()
    {
        var name = Unique("noack");
        using var client = Net.Client(await _app.StartListenerAsync(name));

        (await client.GetStringAsync("/ack")).ShouldBe("acked");

        var ack = await _events.WaitForAsync<DrainAcknowledgedEvent>(RoadrunnerEvents.DrainAcknowledged, e => e.ListenerName == name);
        ack.Deadline.ShouldBeNull();
        ack.RemainingGrace.ShouldBeNull();
        ack.Peer.ShouldStartWith("127.0.0.1:");
        ack.RequestId.ShouldNotBeNullOrEmpty();
        _app.Manager.GetListener(name)!.Status.ShouldBe(ListenerStatus.Accepting);
        (await client.GetStringAsync("/")).ShouldBe($"listener={name}");
    }

    [Fact]
    public async Task Acknowledging_with_an_explicit_deadline_reports_it_and_the_remaining_grace()
    {
        var name = Unique("ackdl");
        using var client = Net.Client(await _app.StartListenerAsync(name));
        var deadline = DateTimeOffset.UtcNow.AddSeconds(10);

        await client.GetStringAsync($"/ack-deadline?deadlineMs={deadline.ToUnixTimeMilliseconds()}");

        var ack = await _events.WaitForAsync<DrainAcknowledgedEvent>(RoadrunnerEvents.DrainAcknowledged, e => e.ListenerName == name);
        ack.Deadline.ShouldBe(DateTimeOffset.FromUnixTimeMilliseconds(deadline.ToUnixTimeMilliseconds()));
        ack.RemainingGrace!.Value.ShouldBeInRange(TimeSpan.FromSeconds(8), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Acknowledging_during_a_drain_fills_in_the_drain_deadline_and_identifies_the_request()
    {
        var name = Unique("ackin");
        var url = await _app.StartListenerAsync(name);
        var localPort = 0;
        using var invoker = new HttpMessageInvoker(new SocketsHttpHandler
        {
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
                await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                localPort = ((System.Net.IPEndPoint)socket.LocalEndPoint!).Port;
                return new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
            },
        });
        using var ws = new ClientWebSocket();
        await ws.ConnectAsync(new Uri($"ws://127.0.0.1:{url.Port}/ws"), invoker, CancellationToken.None);

        var drain = _app.Manager.DrainAsync(name, TimeSpan.FromSeconds(5));
        var started = await _events.WaitForAsync<DrainStartedEvent>(RoadrunnerEvents.DrainStarted, e => e.ListenerName == name);
        await ws.ReceiveAsync(new byte[64], CancellationToken.None);
        await ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        var result = await drain;

        var ack = await _events.WaitForAsync<DrainAcknowledgedEvent>(RoadrunnerEvents.DrainAcknowledged, e => e.ListenerName == name);
        ack.Deadline.ShouldBe(started.Deadline);
        ack.RemainingGrace!.Value.ShouldBeInRange(TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(5));
        ack.Peer.ShouldBe($"127.0.0.1:{localPort}");
        ack.RequestId.ShouldNotBeNullOrEmpty();
        result!.Acknowledgements.ShouldBe(1);
    }

    [Fact]
    public async Task Soft_drain_fires_the_token_keeps_accepting_and_closes_nothing()
    {
        var name = Unique("soft");
        var url = await _app.StartListenerAsync(name);
        using var client = Net.Client(url);
        var waiting = client.GetStringAsync("/wait-drain");
        (await Net.EventuallyAsync(() => _app.Manager.GetListener(name)!.RequestsServed == 1)).ShouldBeTrue();
        using var idle = await Net.ConnectAsync(url);
        (await Net.SendRawAsync(idle, "/")).ShouldContain("200 OK");
        var deadline = DateTimeOffset.UtcNow.AddSeconds(30);

        (await _app.Manager.NotifyDrainAsync(name, deadline)).ShouldBeTrue();

        (await waiting).ShouldBe($"drained deadline={deadline.ToUnixTimeMilliseconds()}");
        var info = _app.Manager.GetListener(name)!;
        info.Status.ShouldBe(ListenerStatus.Accepting);
        (await Net.SendRawAsync(idle, "/")).ShouldContain("200 OK"); // The idle keep-alive connection was not closed.
        (await client.GetStringAsync("/")).ShouldBe($"listener={name}");
        (await client.GetStringAsync("/drain-state")).ShouldBe($"{name}|False|"); // New requests get a fresh signal.
        var notified = await _events.WaitForAsync<DrainStartedEvent>(RoadrunnerEvents.DrainNotified, e => e.ListenerName == name);
        notified.Deadline.ShouldBe(deadline);
    }

    [Fact]
    public async Task A_hard_drain_after_a_soft_drain_tells_earlier_requests_the_new_deadline()
    {
        var name = Unique("softhard");
        var url = await _app.StartListenerAsync(name);
        using var ws = new ClientWebSocket();
        await ws.ConnectAsync(new Uri($"ws://127.0.0.1:{url.Port}/ws?ignoreDrain=true"), CancellationToken.None);
        await _app.Manager.NotifyDrainAsync(name, DateTimeOffset.UtcNow.AddMinutes(10));

        var result = await _app.Manager.DrainAsync(name, TimeSpan.FromMilliseconds(200));

        result!.Outcome.ShouldBe(DrainOutcome.TimedOut);
        result.AbortedConnections.ShouldBe(1);
    }

    [Fact]
    public async Task Requests_on_an_ordinary_endpoint_get_the_host_signal_only()
    {
        var name = Unique("other");
        await _app.StartListenerAsync(name);
        using var plain = Net.Client(_app.PlainUrl!);
        (await plain.GetStringAsync("/drain-state")).ShouldBe("|False|");

        await _app.Manager.DrainAsync(name, TimeSpan.FromSeconds(1));

        (await plain.GetStringAsync("/drain-state")).ShouldBe("|False|");
        (await plain.GetStringAsync("/ack")).ShouldBe("acked");
    }
}
