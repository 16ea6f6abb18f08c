using System.Net.WebSockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Roadrunner.AspNetCore.Tests.Infrastructure;

namespace Roadrunner.AspNetCore.Tests.Drain;

/// <summary>The drain deadline on a fake clock, against a real WebSocket that ignores the drain signal.</summary>
public sealed class DrainDeadlineOnSocketsTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task A_connection_that_ignores_the_drain_is_served_until_the_deadline_and_cut_at_it()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var app = await TestApp.StartAsync(builder => builder.Services.AddSingleton<TimeProvider>(time));
        var url = await app.StartListenerAsync("fake-clock");
        using var ws = new ClientWebSocket();
        await ws.ConnectAsync(new Uri($"ws://127.0.0.1:{url.Port}/ws?ignoreDrain=true"), CancellationToken.None).WaitAsync(Bound);

        var drain = app.Manager.DrainAsync("fake-clock", TimeSpan.FromSeconds(10));
        (await Net.EventuallyAsync(() => app.Manager.GetListener("fake-clock")?.Status == ListenerStatus.Draining)).ShouldBeTrue();

        time.Advance(TimeSpan.FromSeconds(10) - TimeSpan.FromMilliseconds(1));
        (await EchoAsync(ws, "still here")).ShouldBe("still here");
        drain.IsCompleted.ShouldBeFalse();

        time.Advance(TimeSpan.FromMilliseconds(1));
        var result = await drain.WaitAsync(Bound);

        result!.Outcome.ShouldBe(DrainOutcome.TimedOut);
        result.AbortedConnections.ShouldBe(1);
        result.Elapsed.ShouldBe(TimeSpan.FromSeconds(10));
        await Should.ThrowAsync<WebSocketException>(() => ws.ReceiveAsync(new byte[16], CancellationToken.None).WaitAsync(Bound));
    }

    [Fact]
    public async Task Timeout_zero_cuts_at_once_without_the_clock_moving()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var app = await TestApp.StartAsync(builder => builder.Services.AddSingleton<TimeProvider>(time));
        var url = await app.StartListenerAsync("zero");
        using var ws = new ClientWebSocket();
        await ws.ConnectAsync(new Uri($"ws://127.0.0.1:{url.Port}/ws?ignoreDrain=true"), CancellationToken.None).WaitAsync(Bound);

        var result = await app.Manager.DrainAsync("zero", TimeSpan.Zero).WaitAsync(Bound);

        result!.Outcome.ShouldBe(DrainOutcome.TimedOut);
        result.AbortedConnections.ShouldBe(1);
        result.Elapsed.ShouldBe(TimeSpan.Zero);
    }

    private static async Task<string> EchoAsync(ClientWebSocket ws, string text)
    {
        await ws.SendAsync(System.Text.Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None).WaitAsync(Bound);
        var buffer = new byte[256];
        var received = await ws.ReceiveAsync(buffer, CancellationToken.None).WaitAsync(Bound);
        return System.Text.Encoding.UTF8.GetString(buffer, 0, received.Count);
    }
}
