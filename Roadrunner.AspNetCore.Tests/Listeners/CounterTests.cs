using System.Net;
using Roadrunner.AspNetCore.Tests.Infrastructure;

namespace Roadrunner.AspNetCore.Tests.Listeners;

public sealed class CounterTests
{
    [Fact]
    public async Task Requests_served_counts_each_request()
    {
        await using var app = await TestApp.StartAsync();
        using var client = Net.Client(await app.StartListenerAsync("count"));

        for (var i = 0; i < 3; i++)
        {
            (await client.GetAsync("/")).StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        app.Manager.GetListener("count")!.RequestsServed.ShouldBe(3);
    }

    [Fact]
    public async Task Active_connections_rise_and_fall()
    {
        await using var app = await TestApp.StartAsync();
        var url = await app.StartListenerAsync("active");

        using var first = await Net.ConnectAsync(url);
        using var second = await Net.ConnectAsync(url);
        (await Net.SendRawAsync(first, "/")).ShouldContain("listener=active");
        (await Net.SendRawAsync(second, "/")).ShouldContain("listener=active");
        app.Manager.GetListener("active")!.ActiveConnections.ShouldBe(2);

        first.Close();
        (await Net.EventuallyAsync(() => app.Manager.GetListener("active")!.ActiveConnections == 1)).ShouldBeTrue();
        second.Close();
        (await Net.EventuallyAsync(() => app.Manager.GetListener("active")!.ActiveConnections == 0)).ShouldBeTrue();
    }

    [Fact]
    public async Task At_max_connections_a_new_connection_is_closed_without_a_byte_and_counted()
    {
        using var events = new EventRecorder();
        await using var app = await TestApp.StartAsync();
        var url = await app.StartListenerAsync("capped", new ListenerOptions { MaxConnections = 1 });

        using var first = await Net.ConnectAsync(url);
        (await Net.SendRawAsync(first, "/")).ShouldContain("listener=capped");

        using var second = await Net.ConnectAsync(url);
        await second.SendAsync("GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());
        var (bytes, _) = await Net.ReadUntilClosedAsync(second, TimeSpan.FromSeconds(10));

        bytes.ShouldBe(0);
        var info = app.Manager.GetListener("capped")!;
        info.ConnectionsRejected.ShouldBe(1);
        info.ActiveConnections.ShouldBe(1);
        var rejected = await events.WaitForAsync<ConnectionRejectedEvent>(RoadrunnerEvents.ConnectionRejected, e => e.ListenerName == "capped");
        rejected.Reason.ShouldBe("max_connections");

        // The first connection still works, and a slot frees up when it closes.
        (await Net.SendRawAsync(first, "/")).ShouldContain("listener=capped");
        first.Close();
        (await Net.EventuallyAsync(() => app.Manager.GetListener("capped")!.ActiveConnections == 0)).ShouldBeTrue();
        using var third = await Net.ConnectAsync(url);
        (await Net.SendRawAsync(third, "/")).ShouldContain("listener=capped");
    }
}
