using System.Net.Sockets;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Roadrunner.AspNetCore.Listeners;
using Roadrunner.AspNetCore.Tests.Infrastructure;

namespace Roadrunner.AspNetCore.Tests.Drain;

/// <summary>
/// Drains that cannot get stuck, results that mean what they say (sockets closed, counts measured),
/// and soft drains whose memory stays bounded.
/// </summary>
public sealed class DrainRobustnessTests : IAsyncLifetime
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);
    private TestApp _app = null!;
    private int _handlersRunning;

    public async Task InitializeAsync() => _app = await TestApp.StartAsync(configureApp: app =>
        app.MapGet("/hold", async (HttpContext context) =>
        {
            Interlocked.Increment(ref _handlersRunning);
            try
            {
                await Task.Delay(Timeout.Infinite, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                // The abort. Real handlers clean up before they return (flush state, release a lease): this
                // clean-up takes 50 ms, which is the behaviour under test, well inside the drain's 1 s abort grace.
                await Task.Delay(50, CancellationToken.None);
            }
            finally
            {
                Interlocked.Decrement(ref _handlersRunning);
            }
        }));

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private ListenerManager Manager => (ListenerManager)_app.Manager;

    public static TheoryData<string> HugeTimeouts => ["60.00:00:00", "10675199.02:48:05.4775807", "-00:00:00.001"];

    [Theory]
    [MemberData(nameof(HugeTimeouts))]
    public async Task A_drain_with_a_huge_or_infinite_timeout_runs_and_a_shorter_drain_hurries_it(string timeoutText)
    {
        // 60 days (past the timer range), TimeSpan.MaxValue (overflows now + timeout) and Timeout.InfiniteTimeSpan:
        // the old drain faulted after turning the listener Draining, which then stayed Draining for ever.
        var timeout = TimeSpan.Parse(timeoutText, System.Globalization.CultureInfo.InvariantCulture);
        var url = await _app.StartListenerAsync("huge");
        using var ws = new ClientWebSocket();
        await ws.ConnectAsync(new Uri($"ws://127.0.0.1:{url.Port}/ws?ignoreDrain=true"), CancellationToken.None).WaitAsync(Bound);

        var longDrain = _app.Manager.DrainAsync("huge", timeout);
        (await Net.EventuallyAsync(() => _app.Manager.GetListener("huge")?.Status == ListenerStatus.Draining)).ShouldBeTrue();
        longDrain.IsFaulted.ShouldBeFalse();
        longDrain.IsCompleted.ShouldBeFalse();

        var hurried = await _app.Manager.DrainAsync("huge", TimeSpan.Zero).WaitAsync(Bound);

        hurried!.Outcome.ShouldBe(DrainOutcome.TimedOut);
        hurried.AbortedConnections.ShouldBe(1);
        (await longDrain.WaitAsync(Bound)).ShouldBeSameAs(hurried);
        _app.Manager.GetListener("huge").ShouldBeNull();
        (await _app.Manager.NotifyDrainAsync("huge", DateTimeOffset.UtcNow)).ShouldBeFalse();
    }

    [Fact]
    public async Task An_invalid_timeout_is_refused_before_anything_changes()
    {
        await _app.StartListenerAsync("negative");

        await Should.ThrowAsync<ArgumentOutOfRangeException>(() => _app.Manager.DrainAsync("negative", TimeSpan.FromSeconds(-1)));

        _app.Manager.GetListener("negative")!.Status.ShouldBe(ListenerStatus.Accepting);
        (await _app.Manager.DrainAsync("negative", TimeSpan.FromSeconds(5)).WaitAsync(Bound))!.Outcome.ShouldBe(DrainOutcome.Drained);
    }

    [Fact]
    public async Task Drained_is_returned_only_once_every_socket_is_closed()
    {
        // The old drain counted Kestrel finishing a connection, not its socket closing: with many idle
        // keep-alive connections it returned while sockets were still open.
        const int count = 3000;
        var url = await _app.StartListenerAsync("sockets");
        var sockets = new List<Socket>();
        try
        {
            for (var i = 0; i < count; i++)
            {
                var socket = await Net.ConnectAsync(url);
                sockets.Add(socket);
                (await Net.SendRawAsync(socket, "/")).ShouldContain("200 OK");
            }

            var result = await _app.Manager.DrainAsync("sockets", TimeSpan.FromSeconds(15)).WaitAsync(Bound);

            result!.Outcome.ShouldBe(DrainOutcome.Drained);
            result.GracefulConnections.ShouldBe(count);
            Manager.LiveListenerCount.ShouldBe(0);

            // The server's FIN is in every client's receive queue already: readable now, with end-of-stream.
            var buffer = new byte[16];
            sockets.Count(s => !(s.Poll(0, SelectMode.SelectRead) && s.Receive(buffer) == 0)).ShouldBe(0);
        }
        finally
        {
            sockets.ForEach(s => s.Dispose());
        }
    }

    [Fact]
    public async Task After_an_abort_the_result_comes_once_the_aborted_connections_are_gone()
    {
        const int count = 20;
        var url = await _app.StartListenerAsync("aborted");
        var sockets = new List<Socket>();
        try
        {
            for (var i = 0; i < count; i++)
            {
                var socket = await Net.ConnectAsync(url);
                sockets.Add(socket);
                await socket.SendAsync("GET /hold HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());
            }

            (await Net.EventuallyAsync(() => Volatile.Read(ref _handlersRunning) == count)).ShouldBeTrue();

            var result = await _app.Manager.DrainAsync("aborted", TimeSpan.FromMilliseconds(100)).WaitAsync(Bound);

            result!.Outcome.ShouldBe(DrainOutcome.TimedOut);
            result.AbortedConnections.ShouldBe(count);
            result.GracefulConnections.ShouldBe(0);
            Volatile.Read(ref _handlersRunning).ShouldBe(0);
            Manager.LiveListenerCount.ShouldBe(0);
            sockets.Count(s => !s.Poll(0, SelectMode.SelectRead)).ShouldBe(0);
        }
        finally
        {
            sockets.ForEach(s => s.Dispose());
        }
    }

    [Fact]
    public async Task Soft_drains_do_not_keep_earlier_generations_alive()
    {
        // Each soft drain used to link the generation before it, so 100,000 notifications kept ~11 MB for the listener's life.
        await _app.StartListenerAsync("soft");
        var firstGeneration = WeakSignal(Manager.Find("soft")!);

        for (var i = 0; i < 1000; i++)
        {
            (await _app.Manager.NotifyDrainAsync("soft", DateTimeOffset.UtcNow.AddMinutes(1))).ShouldBeTrue();
        }

        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        firstGeneration.IsAlive.ShouldBeFalse();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference WeakSignal(RuntimeListener listener) => new(listener.SignalForNewRequest());
}
