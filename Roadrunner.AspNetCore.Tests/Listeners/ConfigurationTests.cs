using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Roadrunner.AspNetCore.Tests.Infrastructure;

namespace Roadrunner.AspNetCore.Tests.Listeners;

public sealed class ConfigurationTests
{
    [Fact]
    public async Task Listeners_declared_in_configuration_start_with_the_app()
    {
        await using var app = await TestApp.StartAsync(configuration: new Dictionary<string, string?>
        {
            ["Roadrunner:Listeners:admin:Port"] = "0",
            ["Roadrunner:Listeners:public:Port"] = "0",
            ["Roadrunner:Listeners:public:Protocols"] = "Http2",
            ["Roadrunner:Listeners:public:MaxConnections"] = "10",
        });

        app.Manager.Names.Order().ShouldBe(["admin", "public"]);
        var admin = app.Manager.GetListener("admin")!;
        var pub = app.Manager.GetListener("public")!;
        pub.Protocols.ShouldBe(ListenerProtocols.Http2);
        pub.MaxConnections.ShouldBe(10);

        using var adminClient = Net.Client(admin.Url);
        (await adminClient.GetStringAsync("/")).ShouldBe("listener=admin");
        using var publicClient = Net.Client(pub.Url, HttpVersion.Version20);
        (await publicClient.GetStringAsync("/")).ShouldBe("listener=public");
    }

    [Fact]
    public async Task Code_configuration_declares_listeners_too()
    {
        await using var app = await TestApp.StartAsync(configureBuilder: b =>
            b.Services.AddRoadrunner(o => o.Listeners["coded"] = new ListenerOptions { Port = 0 }));

        using var client = Net.Client(app.Manager.GetListener("coded")!.Url);
        (await client.GetStringAsync("/")).ShouldBe("listener=coded");
    }

    [Fact]
    public async Task An_invalid_configured_listener_stops_start_up_with_a_message_naming_it_and_the_key()
    {
        var error = await Should.ThrowAsync<OptionsValidationException>(() => TestApp.StartAsync(configuration: new Dictionary<string, string?>
        {
            ["Roadrunner:Listeners:good:Port"] = "0",
            ["Roadrunner:Listeners:broken:Port"] = "70000",
        }));

        error.Message.ShouldContain("Roadrunner:Listeners:broken:Port");
        error.Message.ShouldContain("between 0 and 65535");
    }

    [Fact]
    public async Task Plaintext_http1_and_http2_in_configuration_is_refused_with_the_reason()
    {
        var error = await Should.ThrowAsync<OptionsValidationException>(() => TestApp.StartAsync(configuration: new Dictionary<string, string?>
        {
            ["Roadrunner:Listeners:mixed:Port"] = "0",
            ["Roadrunner:Listeners:mixed:Protocols"] = "Http1AndHttp2",
        }));

        error.Message.ShouldContain("Roadrunner:Listeners:mixed:Protocols");
        error.Message.ShouldContain("needs TLS");
    }

    [Fact]
    public async Task A_configured_listener_that_cannot_bind_fails_start_up_and_leaves_its_siblings_unbound()
    {
        using var events = new EventRecorder();
        using var squatter = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        squatter.Start();
        var port = ((IPEndPoint)squatter.LocalEndpoint).Port;
        var sibling = $"sibling-{Guid.NewGuid():N}";

        // Configuration children come in key order: the sibling starts first, then the squatted one fails.
        var error = await Should.ThrowAsync<ListenerBindException>(() => TestApp.StartAsync(configuration: new Dictionary<string, string?>
        {
            [$"Roadrunner:Listeners:{sibling}:Port"] = "0",
            ["Roadrunner:Listeners:zzz-squatted:Port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        }));

        error.ListenerName.ShouldBe("zzz-squatted");
        error.AddressInUse.ShouldBeTrue();
        var started = events.Payloads<ListenerStartedEvent>(RoadrunnerEvents.ListenerStarted).Single(e => e.ListenerName == sibling);
        (await Net.IsRefusedAsync(new Uri($"http://127.0.0.1:{started.EndPoint.Port}"))).ShouldBeTrue();
    }
}
