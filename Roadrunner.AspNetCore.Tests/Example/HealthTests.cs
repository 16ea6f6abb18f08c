using System.Net;
using System.Net.WebSockets;

namespace Roadrunner.AspNetCore.Tests.Example;

public sealed class HealthTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Healthz_and_readyz_are_200_on_every_listener_while_the_app_accepts()
    {
        await using var app = ExampleApp.Start();

        foreach (var url in new[] { app.AdminUrl, app.PublicUrl, app.PlainUrl })
        {
            using var client = ExampleApp.Client(url);
            using (var live = await client.GetAsync(new Uri("/healthz", UriKind.Relative)))
            {
                live.StatusCode.ShouldBe(HttpStatusCode.OK);
                (await live.Content.ReadAsStringAsync()).ShouldStartWith("Healthy");
            }

            using var ready = await client.GetAsync(new Uri("/readyz", UriKind.Relative));
            ready.StatusCode.ShouldBe(HttpStatusCode.OK);
            (await ready.Content.ReadAsStringAsync()).ShouldStartWith("Healthy");
        }
    }

    [Fact]
    public async Task Readyz_reports_Degraded_with_200_while_a_listener_drains()
    {
        await using var app = ExampleApp.Start();
        using var admin = app.Admin();
        var created = await admin.CreateListenerAsync("slowpoke");
        using var timeout = new CancellationTokenSource(Patience);
        using var ws = new ClientWebSocket();
        await ws.ConnectAsync(new Uri($"ws://127.0.0.1:{created.GetProperty("port").GetInt32()}/ws?ignoreDrain=true"), timeout.Token);

        // The WebSocket ignores the drain, so the drain lasts until the client leaves.
        var drain = admin.PostJsonAsync("/admin/listeners/slowpoke/drain", """{"timeoutMs":60000}""");
        using var probe = ExampleApp.Client(app.PublicUrl);
        HttpStatusCode status = default;
        var body = string.Empty;
        var degraded = await PollAsync(async () =>
        {
            using var ready = await probe.GetAsync(new Uri("/readyz", UriKind.Relative), timeout.Token);
            (status, body) = (ready.StatusCode, await ready.Content.ReadAsStringAsync(timeout.Token));
            return body.StartsWith("Degraded", StringComparison.Ordinal);
        });

        degraded.ShouldBeTrue(body);
        status.ShouldBe(HttpStatusCode.OK);
        body.ShouldContain("slowpoke");

        await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, "leaving", timeout.Token);
        using var drained = await drain;
        (await drained.JsonAsync()).GetProperty("outcome").GetString().ShouldBe("Drained");
        using var after = await probe.GetAsync(new Uri("/readyz", UriKind.Relative), timeout.Token);
        after.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await after.Content.ReadAsStringAsync(timeout.Token)).ShouldStartWith("Healthy");
    }

    /// <summary>
    /// Readiness is read over the network during host shutdown: the listeners drain first (a WebSocket that
    /// ignores the drain keeps the drain going until its deadline), while the ordinary Kestrel endpoint still
    /// answers; /readyz there turns 503.
    /// </summary>
    [Fact]
    public async Task Readyz_turns_503_once_host_shutdown_has_begun()
    {
        var app = ExampleApp.Start();
        Task? stopping = null;
        try
        {
            using var timeout = new CancellationTokenSource(Patience);
            using var ws = new ClientWebSocket();
            await ws.ConnectAsync(new Uri($"ws://127.0.0.1:{app.PublicUrl.Port}/ws?ignoreDrain=true"), timeout.Token);
            using var probe = ExampleApp.Client(app.PlainUrl);
            using (var before = await probe.GetAsync(new Uri("/readyz", UriKind.Relative), timeout.Token))
            {
                before.StatusCode.ShouldBe(HttpStatusCode.OK);
            }

            var wsEnd = ws.ReceiveAsync(new byte[256].AsMemory(), timeout.Token).AsTask();
            stopping = app.DisposeAsync().AsTask();

            HttpStatusCode status = default;
            var body = string.Empty;
            var unready = await PollAsync(async () =>
            {
                using var ready = await probe.GetAsync(new Uri("/readyz", UriKind.Relative), timeout.Token);
                (status, body) = (ready.StatusCode, await ready.Content.ReadAsStringAsync(timeout.Token));
                return status != HttpStatusCode.OK;
            });

            unready.ShouldBeTrue(body);
            status.ShouldBe(HttpStatusCode.ServiceUnavailable);
            body.ShouldStartWith("Unhealthy");
            body.ShouldContain("shutting down");
            stopping.IsCompleted.ShouldBeFalse("the drain is still waiting for the WebSocket");

            // At the drain deadline (5 s shutdown timeout - 2 s margin) the WebSocket is cut and the host stops.
            await Should.ThrowAsync<WebSocketException>(() => wsEnd);
            await stopping.WaitAsync(Patience);
        }
        finally
        {
            await (stopping ?? app.DisposeAsync().AsTask());
        }
    }

    /// <summary>Polls a condition that has no event to await, until it holds or the time is up.</summary>
    private static async Task<bool> PollAsync(Func<Task<bool>> condition)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > Patience)
            {
                return false;
            }

            await Task.Delay(20);
        }

        return true;
    }
}
