using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;
using Roadrunner.AspNetCore.Tests.Infrastructure;

namespace Roadrunner.AspNetCore.Tests.Listeners;

public sealed class ListenerLifecycleTests
{
    [Fact]
    public async Task Start_serves_requests_then_stop_refuses_connects_and_forgets_the_name()
    {
        await using var app = await TestApp.StartAsync();

        var url = await app.StartListenerAsync("t1");
        using (var client = Net.Client(url))
        {
            var response = await client.GetAsync("/");
            response.StatusCode.ShouldBe(HttpStatusCode.OK);
            (await response.Content.ReadAsStringAsync()).ShouldBe("listener=t1");
        }

        (await app.Manager.StopAsync("t1")).ShouldBeTrue();

        (await Net.IsRefusedAsync(url)).ShouldBeTrue();
        app.Manager.Names.ShouldNotContain("t1");
        app.Manager.GetListener("t1").ShouldBeNull();
    }

    [Fact]
    public async Task Stop_frees_port_and_name_for_immediate_reuse()
    {
        await using var app = await TestApp.StartAsync();
        var first = await app.Manager.StartAsync("reuse", new ListenerOptions());
        await app.Manager.StopAsync("reuse");

        var second = await app.Manager.StartAsync("reuse", new ListenerOptions { Port = first.EndPoint.Port });

        second.EndPoint.Port.ShouldBe(first.EndPoint.Port);
        using var client = Net.Client(second.Url);
        (await client.GetStringAsync("/")).ShouldBe("listener=reuse");
    }

    [Fact]
    public async Task Names_are_most_recent_first_and_info_shows_the_bound_port()
    {
        await using var app = await TestApp.StartAsync();
        await app.Manager.StartAsync("a", new ListenerOptions());
        await app.Manager.StartAsync("b", new ListenerOptions());
        var c = await app.Manager.StartAsync("c", new ListenerOptions { Port = 0 });

        app.Manager.Names.ShouldBe(["c", "b", "a"]);
        app.Manager.GetListeners().Select(l => l.Name).ShouldBe(["c", "b", "a"]);

        var info = app.Manager.GetListener("c")!;
        info.EndPoint.Port.ShouldBeGreaterThan(0);
        info.EndPoint.Port.ShouldBe(c.EndPoint.Port);
        info.EndPoint.Address.ShouldBe(IPAddress.Loopback);
        info.Scheme.ShouldBe("http");
        info.Protocols.ShouldBe(ListenerProtocols.Http1);
        info.Status.ShouldBe(ListenerStatus.Accepting);
        info.MaxConnections.ShouldBeNull();
        info.StartedAt.ShouldBeInRange(DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddSeconds(1));
    }

    [Fact]
    public async Task Duplicate_name_is_rejected_and_the_first_listener_still_serves()
    {
        await using var app = await TestApp.StartAsync();
        var url = await app.StartListenerAsync("dup");

        var error = await Should.ThrowAsync<DuplicateListenerException>(() => app.Manager.StartAsync("dup", new ListenerOptions()));
        error.ListenerName.ShouldBe("dup");
        error.Message.ShouldContain("'dup' already exists");

        using var client = Net.Client(url);
        (await client.GetStringAsync("/")).ShouldBe("listener=dup");
        app.Manager.Names.ShouldBe(["dup"]);
    }

    [Fact]
    public async Task Stop_of_an_unknown_name_returns_false()
    {
        await using var app = await TestApp.StartAsync();

        (await app.Manager.StopAsync("nope")).ShouldBeFalse();
        (await app.Manager.DrainAsync("nope", TimeSpan.FromSeconds(1))).ShouldBeNull();
        (await app.Manager.NotifyDrainAsync("nope", DateTimeOffset.UtcNow)).ShouldBeFalse();
    }

    [Fact]
    public async Task Port_held_by_another_socket_is_a_bind_error_that_leaves_nothing_behind()
    {
        await using var app = await TestApp.StartAsync();
        using var squatter = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        squatter.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        squatter.Listen();
        var port = ((IPEndPoint)squatter.LocalEndPoint!).Port;

        var error = await Should.ThrowAsync<ListenerBindException>(() => app.Manager.StartAsync("busy", new ListenerOptions { Port = port }));

        error.AddressInUse.ShouldBeTrue();
        error.ListenerName.ShouldBe("busy");
        error.Message.ShouldContain("already in use");
        app.Manager.Names.ShouldBeEmpty();
        app.Manager.GetListener("busy").ShouldBeNull();

        // Nothing of ours holds the port: once the squatter is gone it can be bound again.
        squatter.Close();
        using (var rebind = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            rebind.Bind(new IPEndPoint(IPAddress.Loopback, port));
        }

        var info = await app.Manager.StartAsync("busy", new ListenerOptions());
        using var client = Net.Client(info.Url);
        (await client.GetStringAsync("/")).ShouldBe("listener=busy");
    }

    [Fact]
    public async Task Address_that_is_not_local_is_a_bind_error()
    {
        await using var app = await TestApp.StartAsync();

        // TEST-NET-1 (RFC 5737) is never assigned to this machine: bind fails with "cannot assign address".
        var error = await Should.ThrowAsync<ListenerBindException>(() => app.Manager.StartAsync("remote", new ListenerOptions { Address = "192.0.2.1" }));

        error.AddressInUse.ShouldBeFalse();
        app.Manager.Names.ShouldBeEmpty();
    }

    [Fact]
    public async Task Options_changed_after_start_do_not_affect_the_running_listener()
    {
        await using var app = await TestApp.StartAsync();
        var options = new ListenerOptions { MaxConnections = 5 };
        await app.Manager.StartAsync("copy", options);

        options.MaxConnections = 1;

        app.Manager.GetListener("copy")!.MaxConnections.ShouldBe(5);
    }

    [Fact]
    public async Task A_listener_started_at_runtime_coexists_with_an_ordinary_kestrel_endpoint()
    {
        await using var app = await TestApp.StartAsync(plainEndpoint: true);
        var url = await app.StartListenerAsync("side");

        using var plain = Net.Client(app.PlainUrl!);
        using var runtime = Net.Client(url);
        (await plain.GetStringAsync("/")).ShouldBe("listener=");
        (await runtime.GetStringAsync("/")).ShouldBe("listener=side");
    }

    [Fact]
    public async Task Urls_from_the_command_line_are_still_bound()
    {
        await using var app = await TestApp.StartAsync(args: ["--urls=http://127.0.0.1:0"]);
        var url = await app.StartListenerAsync("side");

        var plainUrl = app.App.Urls.Single(u => u.StartsWith("http://127.0.0.1:", StringComparison.Ordinal));
        using var plain = Net.Client(new Uri(plainUrl));
        (await plain.GetStringAsync("/")).ShouldBe("listener=");
        using var runtime = Net.Client(url);
        (await runtime.GetStringAsync("/")).ShouldBe("listener=side");
    }

    [Fact]
    public async Task Server_addresses_show_the_placeholders_as_valid_urls()
    {
        await using var app = await TestApp.StartAsync(plainEndpoint: true);

        app.App.Urls.ShouldContain("http://roadrunner-http1");
        app.App.Urls.ShouldContain("http://roadrunner-h2c");
        app.App.Urls.ShouldContain("https://roadrunner-tls");
        app.App.Urls.ShouldAllBe(u => Uri.IsWellFormedUriString(u, UriKind.Absolute));
    }
}
