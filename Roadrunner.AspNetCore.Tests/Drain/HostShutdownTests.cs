using System.Net.WebSockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Roadrunner.AspNetCore.Tests.Infrastructure;

namespace Roadrunner.AspNetCore.Tests.Drain;

public sealed class HostShutdownTests
{
    [Fact]
    public async Task Host_shutdown_drains_listeners_so_websockets_and_sse_streams_close_cleanly_before_the_host_stops()
    {
        using var events = new EventRecorder();
        var app = await TestApp.StartAsync(
            plainEndpoint: true,
            configureBuilder: b => b.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(6)));
        var name = $"host-{Guid.NewGuid():N}"[..20];
        var url = await app.StartListenerAsync(name);

        using var listenerWs = new ClientWebSocket();
        await listenerWs.ConnectAsync(new Uri($"ws://127.0.0.1:{url.Port}/ws"), CancellationToken.None);
        using var plainWs = new ClientWebSocket();
        await plainWs.ConnectAsync(new Uri($"ws://127.0.0.1:{app.PlainUrl!.Port}/ws"), CancellationToken.None);
        using var sseClient = Net.Client(url);
        using var sse = await sseClient.GetAsync("/sse", HttpCompletionOption.ResponseHeadersRead);
        using var sseReader = new StreamReader(await sse.Content.ReadAsStreamAsync());
        (await sseReader.ReadLineAsync()).ShouldBe("event: tick");
        var sseRest = sseReader.ReadToEndAsync();
        var listenerClose = CloseStatusAsync(listenerWs);
        var plainClose = CloseStatusAsync(plainWs);

        var stopping = Task.Run(async () =>
        {
            await app.DisposeAsync();
            return System.Diagnostics.Stopwatch.GetTimestamp();
        });

        // Without the drain Kestrel would cut these at its shutdown timeout: 1006, no close frame, no final event.
        var (listenerStatus, listenerClosedAt) = await listenerClose;
        var (plainStatus, plainClosedAt) = await plainClose;
        listenerStatus.ShouldBe(WebSocketCloseStatus.EndpointUnavailable);
        plainStatus.ShouldBe(WebSocketCloseStatus.EndpointUnavailable);
        (await sseRest).ShouldContain("event: drain");
        var stoppedAt = await stopping;
        listenerClosedAt.ShouldBeLessThan(stoppedAt);
        plainClosedAt.ShouldBeLessThan(stoppedAt);

        var started = await events.WaitForAsync<DrainStartedEvent>(RoadrunnerEvents.DrainStarted, e => e.ListenerName == name);
        var completed = await events.WaitForAsync<DrainResult>(RoadrunnerEvents.DrainCompleted, e => e.ListenerName == name);
        completed.Outcome.ShouldBe(DrainOutcome.Drained);
        completed.Acknowledgements.ShouldBe(2);
        // Deadline = ShutdownTimeout (6 s) - ShutdownDrainMargin (2 s).
        (started.Deadline - DateTimeOffset.UtcNow).ShouldBeLessThan(TimeSpan.FromSeconds(4));
    }

    [Fact]
    public async Task Host_shutdown_refuses_new_connections_before_signalling()
    {
        using var events = new EventRecorder();
        var app = await TestApp.StartAsync();
        var name = $"refuse-{Guid.NewGuid():N}"[..20];
        var url = await app.StartListenerAsync(name);
        using var ws = new ClientWebSocket();
        await ws.ConnectAsync(new Uri($"ws://127.0.0.1:{url.Port}/ws?ignoreDrain=true"), CancellationToken.None);

        var stopping = Task.Run(() => app.DisposeAsync().AsTask());
        await events.WaitForAsync<DrainStartedEvent>(RoadrunnerEvents.DrainStarted, e => e.ListenerName == name);

        (await Net.IsRefusedAsync(url)).ShouldBeTrue();
        await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        await stopping;
    }

    private static async Task<(WebSocketCloseStatus? Status, long At)> CloseStatusAsync(ClientWebSocket ws)
    {
        var buffer = new byte[256];
        while (true)
        {
            var result = await ws.ReceiveAsync(buffer, CancellationToken.None);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                var at = System.Diagnostics.Stopwatch.GetTimestamp();
                await ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
                return (ws.CloseStatus, at);
            }
        }
    }
}
