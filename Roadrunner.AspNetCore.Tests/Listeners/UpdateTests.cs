using System.Net;
using Microsoft.Extensions.Options;
using Roadrunner.AspNetCore.Tests.Infrastructure;
using Roadrunner.AspNetCore.Tests.Limits;

namespace Roadrunner.AspNetCore.Tests.Listeners;

/// <summary>IListenerManager.UpdateAsync: options of a running listener change live, nothing is dropped or restarted.</summary>
public sealed class UpdateTests : IAsyncLifetime
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);
    private readonly EventRecorder _events = new();
    private TestApp _app = null!;

    public async Task InitializeAsync() => _app = await TestApp.StartAsync(configureApp: LimitEndpoints.Map);

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        _events.Dispose();
    }

    [Fact]
    public async Task Lowering_MaxConnections_rejects_the_next_connection_over_the_new_cap_while_open_ones_keep_serving()
    {
        var url = await _app.StartListenerAsync("upd-cap", new ListenerOptions { MaxConnections = 3 });
        using var first = await Net.ConnectAsync(url);
        using var second = await Net.ConnectAsync(url);
        (await Net.SendRawAsync(first, "/")).ShouldContain("listener=upd-cap");
        (await Net.SendRawAsync(second, "/")).ShouldContain("listener=upd-cap");

        var updated = await _app.Manager.UpdateAsync("upd-cap", new ListenerOptions { MaxConnections = 2 });
        updated!.MaxConnections.ShouldBe(2);
        updated.EndPoint.Port.ShouldBe(url.Port);

        using var third = await Net.ConnectAsync(url);
        var (bytes, _) = await Net.ReadUntilClosedAsync(third, Bound);
        bytes.ShouldBe(0); // Closed at the new cap without a byte.
        (await _events.WaitForAsync<ConnectionRejectedEvent>(RoadrunnerEvents.ConnectionRejected, e => e.ListenerName == "upd-cap", Bound)).Reason.ShouldBe("max_connections");

        (await Net.SendRawAsync(first, "/")).ShouldContain("listener=upd-cap");
        (await Net.SendRawAsync(second, "/")).ShouldContain("listener=upd-cap");
        var info = _app.Manager.GetListener("upd-cap")!;
        info.ConnectionsRejected.ShouldBe(1);
        info.ActiveConnections.ShouldBe(2);
        _app.Logs.Entries.ShouldContain(e => e.EventId.Id == 40 && e.Message.Contains("MaxConnections: 3 → 2", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Lowering_MaxConcurrentRequests_takes_effect_on_the_next_request()
    {
        var url = await _app.StartListenerAsync("upd-conc", new ListenerOptions { MaxConcurrentRequests = 3 });
        var gate = LimitEndpoints.GateFor("upd-conc");
        using var held = await Net.ConnectAsync(url);
        var inFlight = Net.SendRawAsync(held, "/block?key=upd-conc");
        await gate.WaitEnteredAsync(1, Bound);

        using var client = Net.Client(url);
        (await client.GetAsync("/")).StatusCode.ShouldBe(HttpStatusCode.OK); // 2 in flight of 3 allowed

        (await _app.Manager.UpdateAsync("upd-conc", new ListenerOptions { MaxConcurrentRequests = 1 }))!.MaxConcurrentRequests.ShouldBe(1);
        using (var refused = await client.GetAsync("/"))
        {
            refused.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable); // the held request fills the new cap
            refused.Headers.RetryAfter.ShouldNotBeNull();
        }

        _app.Manager.GetListener("upd-conc")!.RequestsThrottled.ShouldBe(1);
        gate.Release();
        (await inFlight.WaitAsync(Bound)).ShouldStartWith("HTTP/1.1 200 ");
        (await client.GetStringAsync("/")).ShouldBe("listener=upd-conc"); // nothing in flight: the one slot is free
    }

    [Fact]
    public async Task Raising_MaxConnections_while_paused_at_the_cap_serves_the_connect_waiting_in_the_backlog()
    {
        var options = new ListenerOptions { MaxConnections = 1, MaxConnectionsBehavior = MaxConnectionsBehavior.Backlog };
        var url = await _app.StartListenerAsync("upd-backlog", options);
        using var first = await Net.ConnectAsync(url);
        (await Net.SendRawAsync(first, "/")).ShouldContain("listener=upd-backlog");

        using var waiting = await Net.ConnectAsync(url);
        var response = Net.SendRawAsync(waiting, "/");
        (await Net.SendRawAsync(first, "/")).ShouldContain("listener=upd-backlog"); // A round trip: the waiting one had its chance.
        response.IsCompleted.ShouldBeFalse();

        await _app.Manager.UpdateAsync("upd-backlog", new ListenerOptions { MaxConnections = 2, MaxConnectionsBehavior = MaxConnectionsBehavior.Backlog });
        (await response.WaitAsync(Bound)).ShouldContain("listener=upd-backlog");
        (await Net.SendRawAsync(first, "/")).ShouldContain("listener=upd-backlog"); // The first one was never touched.
        _app.Manager.GetListener("upd-backlog")!.ConnectionsRejected.ShouldBe(0);
    }

    [Theory]
    [InlineData("Port")]
    [InlineData("Protocols")]
    [InlineData("Address")]
    [InlineData("UseTls")]
    [InlineData("ProxyProtocol")]
    public async Task Changing_a_field_that_cannot_change_live_is_a_typed_error_naming_the_key_and_changes_nothing(string key)
    {
        var name = $"upd-fixed-{key.ToLowerInvariant()}";
        var url = await _app.StartListenerAsync(name, new ListenerOptions { MaxConnections = 5 });
        using var open = await Net.ConnectAsync(url);
        (await Net.SendRawAsync(open, "/")).ShouldContain($"listener={name}");

        var next = new ListenerOptions { MaxConnections = 9 };
        switch (key)
        {
            case "Port":
                next.Port = url.Port == 65535 ? 65534 : url.Port + 1;
                break;
            case "Protocols":
                next.Protocols = ListenerProtocols.Http2;
                break;
            case "Address":
                next.Address = "0.0.0.0";
                break;
            case "ProxyProtocol":
                next.ProxyProtocol = ProxyProtocolMode.V1; // set up when the listener starts: a change would do nothing
                break;
            default:
                next.UseTls = true;
                next.Certificate = Net.CreateCertificate("CN=update");
                break;
        }

        var error = await Should.ThrowAsync<ListenerUpdateException>(() => _app.Manager.UpdateAsync(name, next));
        error.ShouldBeAssignableTo<InvalidOperationException>();
        error.Key.ShouldBe(key);
        error.ListenerName.ShouldBe(name);
        error.Message.ShouldContain($"Roadrunner:Listeners:{name}:{key} cannot change on a running listener");
        error.Message.ShouldContain("Stop the listener and start it");

        var info = _app.Manager.GetListener(name)!;
        info.MaxConnections.ShouldBe(5);
        info.EndPoint.Port.ShouldBe(url.Port);
        info.Protocols.ShouldBe(ListenerProtocols.Http1);
        (await Net.SendRawAsync(open, "/")).ShouldContain($"listener={name}");
    }

    [Fact]
    public async Task The_bound_port_of_a_listener_started_on_port_0_and_an_equivalent_address_spelling_are_not_changes()
    {
        var url = await _app.StartListenerAsync("upd-same");
        var info = await _app.Manager.UpdateAsync("upd-same", new ListenerOptions { Port = url.Port, MaxConnections = 4 });
        info!.MaxConnections.ShouldBe(4);
        info.EndPoint.Port.ShouldBe(url.Port);

        using var client = Net.Client(url);
        (await client.GetStringAsync("/")).ShouldBe("listener=upd-same");
    }

    [Fact]
    public async Task An_unknown_name_is_null_and_invalid_options_are_refused_naming_the_key_with_nothing_changed()
    {
        (await _app.Manager.UpdateAsync("nobody", new ListenerOptions())).ShouldBeNull();

        var url = await _app.StartListenerAsync("upd-invalid", new ListenerOptions { MaxConnections = 5 });
        var error = await Should.ThrowAsync<OptionsValidationException>(() =>
            _app.Manager.UpdateAsync("upd-invalid", new ListenerOptions { MaxConnections = 0 }));
        error.Message.ShouldContain("Roadrunner:Listeners:upd-invalid:MaxConnections: must be at least 1");

        var backlog = await Should.ThrowAsync<OptionsValidationException>(() =>
            _app.Manager.UpdateAsync("upd-invalid", new ListenerOptions { MaxConnectionsBehavior = MaxConnectionsBehavior.Backlog }));
        backlog.Message.ShouldContain("Roadrunner:Listeners:upd-invalid:MaxConnectionsBehavior");

        _app.Manager.GetListener("upd-invalid")!.MaxConnections.ShouldBe(5);
        using var client = Net.Client(url);
        (await client.GetStringAsync("/")).ShouldBe("listener=upd-invalid");
    }

    [Fact]
    public async Task The_options_object_is_copied_and_a_draining_listener_refuses_updates()
    {
        var url = await _app.StartListenerAsync("upd-copy");
        var options = new ListenerOptions { MaxConnections = 7 };
        await _app.Manager.UpdateAsync("upd-copy", options);
        options.MaxConnections = 1;
        _app.Manager.GetListener("upd-copy")!.MaxConnections.ShouldBe(7);

        // A request in flight keeps the drain running while the update is tried.
        using var client = Net.Client(url);
        var slow = client.GetStringAsync("/slow?ms=3000");
        (await Net.EventuallyAsync(() => _app.Manager.GetListener("upd-copy")!.ActiveConnections == 1, Bound)).ShouldBeTrue();
        var drain = _app.Manager.DrainAsync("upd-copy", TimeSpan.FromSeconds(30));
        _app.Manager.GetListener("upd-copy")!.Status.ShouldBe(ListenerStatus.Draining);

        var error = await Should.ThrowAsync<InvalidOperationException>(() => _app.Manager.UpdateAsync("upd-copy", new ListenerOptions { MaxConnections = 2 }));
        error.ShouldNotBeOfType<ListenerUpdateException>();
        error.Message.ShouldContain("Listener 'upd-copy' is Draining");

        (await slow.WaitAsync(Bound)).ShouldBe("done");
        (await drain.WaitAsync(Bound))!.Outcome.ShouldBe(DrainOutcome.Drained);
    }

    [Fact]
    public async Task Concurrent_updates_of_one_listener_apply_one_after_the_other()
    {
        await _app.StartListenerAsync("upd-race");
        var updates = Enumerable.Range(1, 32)
            .Select(i => Task.Run(() => _app.Manager.UpdateAsync("upd-race", new ListenerOptions { MaxConnections = i, ShutdownOrder = i })))
            .ToList();
        await Task.WhenAll(updates).WaitAsync(Bound);

        // Each update published one whole set of options: the cap and the order always come from the same call.
        var info = _app.Manager.GetListener("upd-race")!;
        var manager = (Roadrunner.AspNetCore.Listeners.ListenerManager)_app.Manager;
        manager.Find("upd-race")!.Options.ShutdownOrder.ShouldBe(info.MaxConnections!.Value);
        _app.Logs.Entries.Count(e => e.EventId.Id == 40 && e.Message.Contains("'upd-race'", StringComparison.Ordinal)).ShouldBe(32);
    }
}
