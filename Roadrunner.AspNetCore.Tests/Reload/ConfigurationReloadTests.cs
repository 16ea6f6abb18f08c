using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Roadrunner.AspNetCore.Tests.Infrastructure;

namespace Roadrunner.AspNetCore.Tests.Reload;

/// <summary>
/// Roadrunner:Listeners from a JSON file with reloadOnChange: editing the file adds, removes, changes and replaces
/// listeners; a bad edit changes nothing it should not. File-watcher latency is real, so every wait is on an event
/// and bounded generously.
/// </summary>
public sealed class ConfigurationReloadTests : IAsyncLifetime
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);
    private readonly EventRecorder _events = new();
    private readonly string _directory = Directory.CreateTempSubdirectory("roadrunner-reload-").FullName;
    private readonly TriggerProvider _trigger = new();
    private string ConfigPath => Path.Combine(_directory, "listeners.json");

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        _events.Dispose();
        Directory.Delete(_directory, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Editing_the_file_adds_removes_changes_and_replaces_listeners_and_leaves_code_listeners_alone()
    {
        WriteListeners("""
            "r1-keep": { "MaxConnections": 5 },
            "r1-gone": { },
            "r1-proto": { }
            """);
        await using var app = await StartAsync();
        var codeUrl = await app.StartListenerAsync("r1-code", new ListenerOptions { MaxConnections = 3 });
        var keep = app.Manager.GetListener("r1-keep")!;
        var gone = app.Manager.GetListener("r1-gone")!;
        var proto = app.Manager.GetListener("r1-proto")!;

        using var keepConnection = await Net.ConnectAsync(keep.Url);
        (await Net.SendRawAsync(keepConnection, "/")).ShouldContain("listener=r1-keep");
        using var protoConnection = await Net.ConnectAsync(proto.Url);
        var inFlight = Net.SendRawAsync(protoConnection, "/slow?ms=1500");
        (await Net.EventuallyAsync(() => app.Manager.GetListener("r1-proto")!.RequestsServed == 1, Bound)).ShouldBeTrue();

        WriteListeners("""
            "r1-keep": { "MaxConnections": 1 },
            "r1-proto": { "Protocols": "Http2" },
            "r1-fresh": { }
            """);
        await _events.WaitForAsync<ConfigurationReloadedEvent>(RoadrunnerEvents.ConfigurationReloaded, e => e.Started.Contains("r1-fresh"), Bound);
        await _events.WaitForAsync<ConfigurationReloadedEvent>(RoadrunnerEvents.ConfigurationReloaded, e => e.Updated.Contains("r1-keep"), Bound);
        await _events.WaitForAsync<ConfigurationReloadedEvent>(RoadrunnerEvents.ConfigurationReloaded, e => e.Replaced.Contains("r1-proto"), Bound);
        await _events.WaitForAsync<ConfigurationReloadedEvent>(RoadrunnerEvents.ConfigurationReloaded, e => e.Removed.Contains("r1-gone"), Bound);

        // A limit change: same port, the open connection keeps serving, the new cap applies to the next connection.
        var kept = app.Manager.GetListener("r1-keep")!;
        kept.EndPoint.Port.ShouldBe(keep.EndPoint.Port);
        kept.MaxConnections.ShouldBe(1);
        (await Net.SendRawAsync(keepConnection, "/")).ShouldContain("listener=r1-keep");
        using (var overCap = await Net.ConnectAsync(keep.Url))
        {
            (await Net.ReadUntilClosedAsync(overCap, Bound)).Bytes.ShouldBe(0);
        }

        // Removed: drained, then gone, and its port is free.
        (await _events.WaitForAsync<DrainResult>(RoadrunnerEvents.DrainCompleted, r => r.ListenerName == "r1-gone", Bound)).Outcome.ShouldBe(DrainOutcome.Drained);
        app.Manager.GetListener("r1-gone").ShouldBeNull();
        (await Net.IsRefusedAsync(gone.Url)).ShouldBeTrue();

        // Added.
        using (var fresh = Net.Client(app.Manager.GetListener("r1-fresh")!.Url))
        {
            (await fresh.GetStringAsync("/")).ShouldBe("listener=r1-fresh");
        }

        // Protocol change: the new listener (a new port, as configured: 0) serves h2c under the same name; the old one
        // drained: its request in flight finished, then its port closed.
        var replaced = app.Manager.GetListener("r1-proto")!;
        replaced.Protocols.ShouldBe(ListenerProtocols.Http2);
        replaced.EndPoint.Port.ShouldNotBe(proto.EndPoint.Port);
        using (var h2 = Net.Client(replaced.Url, HttpVersion.Version20))
        {
            (await h2.GetStringAsync("/")).ShouldBe("listener=r1-proto");
        }

        (await inFlight.WaitAsync(Bound)).ShouldContain("done");
        (await _events.WaitForAsync<DrainResult>(RoadrunnerEvents.DrainCompleted, r => r.ListenerName == "r1-proto", Bound)).GracefulConnections.ShouldBe(1);
        (await Net.IsRefusedAsync(proto.Url)).ShouldBeTrue();
        app.Logs.Entries.ShouldContain(e => e.EventId.Id == 43 && e.Message.Contains("'r1-proto' replaced by a configuration reload (Protocols changed)", StringComparison.Ordinal));

        // The listener started from code was not touched.
        var code = app.Manager.GetListener("r1-code")!;
        code.EndPoint.Port.ShouldBe(codeUrl.Port);
        code.MaxConnections.ShouldBe(3);
        code.Status.ShouldBe(ListenerStatus.Accepting);
        app.Manager.Names.Order().ShouldBe(["r1-code", "r1-fresh", "r1-keep", "r1-proto"]);
    }

    [Fact]
    public async Task A_protocol_change_on_the_same_port_hands_the_bound_socket_to_the_new_listener()
    {
        WriteListeners("""
            "r4-same": { }
            """);
        await using var app = await StartAsync();
        var before = app.Manager.GetListener("r4-same")!;
        var port = before.EndPoint.Port;
        using var old = await Net.ConnectAsync(before.Url);
        var inFlight = Net.SendRawAsync(old, "/slow?ms=1500");
        (await Net.EventuallyAsync(() => app.Manager.GetListener("r4-same")!.RequestsServed == 1, Bound)).ShouldBeTrue();

        WriteListeners($$"""
            "r4-same": { "Port": {{port}}, "Protocols": "Http2" }
            """);
        await _events.WaitForAsync<ConfigurationReloadedEvent>(RoadrunnerEvents.ConfigurationReloaded, e => e.Replaced.Contains("r4-same"), Bound);

        var after = app.Manager.GetListener("r4-same")!;
        after.EndPoint.Port.ShouldBe(port);
        after.Protocols.ShouldBe(ListenerProtocols.Http2);
        using (var h2 = Net.Client(after.Url, HttpVersion.Version20))
        {
            (await h2.GetStringAsync("/")).ShouldBe("listener=r4-same");
        }

        var response = await inFlight.WaitAsync(Bound);
        response.ShouldContain("done");
        response.ShouldContain("Connection: close");
        (await _events.WaitForAsync<DrainResult>(RoadrunnerEvents.DrainCompleted, r => r.ListenerName == "r4-same", Bound)).Outcome.ShouldBe(DrainOutcome.Drained);

        // The hand-over kept the socket: after the old listener's drain the port still serves.
        using var again = Net.Client(after.Url, HttpVersion.Version20);
        (await again.GetStringAsync("/")).ShouldBe("listener=r4-same");
    }

    [Fact]
    public async Task A_bad_edit_leaves_everything_running_logs_raises_the_event_and_degrades_health_until_a_good_reload()
    {
        WriteListeners("""
            "r2-a": { "MaxConnections": 5 },
            "r2-b": { }
            """);
        await using var app = await StartAsync();
        var codeUrl = await app.StartListenerAsync("r2-code", new ListenerOptions { MaxConnections = 3 });
        var a = app.Manager.GetListener("r2-a")!;
        var b = app.Manager.GetListener("r2-b")!;
        (await HealthAsync(app)).Status.ShouldBe(HealthStatus.Healthy);

        // Invalid value, port in use (r2-b's), and a name that belongs to a listener started from code.
        WriteListeners($$"""
            "r2-a": { "MaxConnections": 0 },
            "r2-b": { "MaxConnections": 7 },
            "r2-c": { "Port": {{b.EndPoint.Port}} },
            "r2-code": { }
            """);
        var invalid = await _events.WaitForAsync<ConfigurationReloadFailedEvent>(RoadrunnerEvents.ConfigurationReloadFailed, e => e.ListenerName == "r2-a", Bound);
        invalid.Key.ShouldBe("Roadrunner:Listeners:r2-a:MaxConnections");
        invalid.Message.ShouldContain("must be at least 1");
        var inUse = await _events.WaitForAsync<ConfigurationReloadFailedEvent>(RoadrunnerEvents.ConfigurationReloadFailed, e => e.ListenerName == "r2-c", Bound);
        inUse.Key.ShouldBe("Roadrunner:Listeners:r2-c:Port");
        var clash = await _events.WaitForAsync<ConfigurationReloadFailedEvent>(RoadrunnerEvents.ConfigurationReloadFailed, e => e.ListenerName == "r2-code", Bound);
        clash.Message.ShouldContain("started from code");
        await _events.WaitForAsync<ConfigurationReloadedEvent>(RoadrunnerEvents.ConfigurationReloaded, e => e.Updated.Contains("r2-b"), Bound);

        // The good change applied; the bad ones changed nothing, and nothing stopped.
        app.Manager.GetListener("r2-b")!.MaxConnections.ShouldBe(7);
        var stillA = app.Manager.GetListener("r2-a")!;
        stillA.MaxConnections.ShouldBe(5);
        stillA.EndPoint.Port.ShouldBe(a.EndPoint.Port);
        app.Manager.GetListener("r2-c").ShouldBeNull();
        app.Manager.GetListener("r2-code")!.MaxConnections.ShouldBe(3);
        app.Manager.GetListener("r2-code")!.EndPoint.Port.ShouldBe(codeUrl.Port);
        foreach (var url in new[] { a.Url, b.Url, codeUrl })
        {
            using var client = Net.Client(url);
            (await client.GetStringAsync("/")).ShouldStartWith("listener=r2-");
        }

        app.Logs.Entries.ShouldContain(e => e.EventId.Id == 42 && e.Level == LogLevel.Error
            && e.Message.Contains("Roadrunner:Listeners:r2-a:MaxConnections was not applied", StringComparison.Ordinal));
        var degraded = await HealthAsync(app);
        degraded.Status.ShouldBe(HealthStatus.Degraded);
        degraded.Description.ShouldNotBeNull();
        degraded.Description.ShouldContain("Roadrunner:Listeners:r2-a:MaxConnections");

        // A good edit clears it.
        WriteListeners("""
            "r2-a": { "MaxConnections": 6 },
            "r2-b": { "MaxConnections": 7 }
            """);
        await _events.WaitForAsync<ConfigurationReloadedEvent>(RoadrunnerEvents.ConfigurationReloaded, e => e.Updated.Contains("r2-a"), Bound);
        app.Manager.GetListener("r2-a")!.MaxConnections.ShouldBe(6);
        (await Net.EventuallyAsync(() => HealthAsync(app).GetAwaiter().GetResult().Status == HealthStatus.Healthy, Bound)).ShouldBeTrue();
        app.Manager.GetListener("r2-code")!.Status.ShouldBe(ListenerStatus.Accepting);
    }

    [Fact]
    public async Task A_value_that_does_not_convert_changes_nothing_and_names_listener_and_key()
    {
        WriteListeners("""
            "r3-a": { },
            "r3-b": { }
            """);
        await using var app = await StartAsync();

        WriteListeners("""
            "r3-a": { "Port": "abc" },
            "r3-b": { "MaxConnections": 2 }
            """);
        var failure = await _events.WaitForAsync<ConfigurationReloadFailedEvent>(RoadrunnerEvents.ConfigurationReloadFailed, e => e.ListenerName == "r3-a", Bound);
        failure.Key.ShouldBe("Roadrunner:Listeners:r3-a:Port");
        app.Manager.GetListener("r3-b")!.MaxConnections.ShouldBeNull(); // The whole section could not be read: nothing applied.
        app.Manager.Names.Order().ShouldBe(["r3-a", "r3-b"]);
        (await HealthAsync(app)).Status.ShouldBe(HealthStatus.Degraded);
    }

    [Fact]
    public async Task An_unreadable_file_does_not_drain_the_listeners_and_an_empty_listeners_section_removes_them()
    {
        WriteListeners("""
            "r5-a": { }
            """);
        await using var app = await StartAsync();
        var a = app.Manager.GetListener("r5-a")!;

        // .NET's JSON provider reads a file that fails to parse as empty (and raises no change itself); any other source's
        // change then reloads everything.
        File.WriteAllText(ConfigPath, """{ "Roadrunner": { "Listeners": { "r5-a": { """);
        (await Net.EventuallyAsync(() => !app.App.Configuration.GetSection("Roadrunner").Exists(), Bound)).ShouldBeTrue();
        _trigger.Raise();
        var failure = await _events.WaitForAsync<ConfigurationReloadFailedEvent>(
            RoadrunnerEvents.ConfigurationReloadFailed, e => e.ListenerName is null && e.Key == "Roadrunner" && e.Message.Contains("missing", StringComparison.Ordinal), Bound);
        failure.Message.ShouldContain("no listener was removed");
        using (var client = Net.Client(a.Url))
        {
            (await client.GetStringAsync("/")).ShouldBe("listener=r5-a");
        }

        WriteListeners(string.Empty);
        await _events.WaitForAsync<ConfigurationReloadedEvent>(RoadrunnerEvents.ConfigurationReloaded, e => e.Removed.Contains("r5-a"), Bound);
        (await _events.WaitForAsync<DrainResult>(RoadrunnerEvents.DrainCompleted, r => r.ListenerName == "r5-a", Bound)).Outcome.ShouldBe(DrainOutcome.Drained);
        app.Manager.Names.ShouldBeEmpty();
    }

    private void WriteListeners(string listeners) => File.WriteAllText(ConfigPath, $$"""
        { "Roadrunner": { "ReloadDrainTimeout": "00:00:10", "Listeners": { {{listeners}} } } }
        """);

    private Task<TestApp> StartAsync() => TestApp.StartAsync(configureBuilder: b =>
    {
        b.Configuration.AddJsonFile(ConfigPath, optional: false, reloadOnChange: true);
        ((IConfigurationBuilder)b.Configuration).Add(new TriggerSource(_trigger));
        b.Services.AddHealthChecks().AddRoadrunner();
    });

    private static async Task<HealthReportEntry> HealthAsync(TestApp app) =>
        (await app.App.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync()).Entries["roadrunner"];

    /// <summary>A configuration source whose only job is to raise a change, as any other reloading source would.</summary>
    private sealed class TriggerSource(TriggerProvider provider) : IConfigurationSource
    {
        public IConfigurationProvider Build(IConfigurationBuilder builder) => provider;
    }

    private sealed class TriggerProvider : ConfigurationProvider
    {
        public void Raise() => OnReload();
    }
}
