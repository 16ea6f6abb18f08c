using Roadrunner.AspNetCore.Tests.Infrastructure;

namespace Roadrunner.AspNetCore.Tests.Listeners;

/// <summary>Accepting paused with the socket still bound: suspend/resume, and the Backlog behaviour at the connection cap.</summary>
public sealed class SuspendAndBacklogTests : IAsyncLifetime
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);
    private TestApp _app = null!;

    public async Task InitializeAsync() => _app = await TestApp.StartAsync();

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task A_connect_during_suspension_is_not_refused_and_is_served_after_resume()
    {
        var url = await _app.StartListenerAsync("paused");
        using var open = await Net.ConnectAsync(url);
        (await Net.SendRawAsync(open, "/")).ShouldContain("listener=paused");

        (await _app.Manager.SuspendAsync("paused"))!.Status.ShouldBe(ListenerStatus.Suspended);
        _app.Manager.GetListener("paused")!.Status.ShouldBe(ListenerStatus.Suspended);

        // The kernel completes the handshake from the backlog: the connect succeeds, the request waits.
        using var queued = await Net.ConnectAsync(url);
        var response = Net.SendRawAsync(queued, "/");
        (await Net.SendRawAsync(open, "/")).ShouldContain("listener=paused"); // Open connections keep serving.
        response.IsCompleted.ShouldBeFalse();

        (await _app.Manager.ResumeAsync("paused"))!.Status.ShouldBe(ListenerStatus.Accepting);
        (await response.WaitAsync(Bound)).ShouldContain("listener=paused");
    }

    [Fact]
    public async Task A_suspended_listener_can_be_drained_and_suspend_of_an_unknown_name_is_null()
    {
        await _app.StartListenerAsync("paused-drain");
        await _app.Manager.SuspendAsync("paused-drain");

        (await _app.Manager.DrainAsync("paused-drain", TimeSpan.FromSeconds(5)).WaitAsync(Bound))!.Outcome.ShouldBe(DrainOutcome.Drained);
        _app.Manager.GetListener("paused-drain").ShouldBeNull();
        (await _app.Manager.SuspendAsync("nobody")).ShouldBeNull();
        (await _app.Manager.ResumeAsync("nobody")).ShouldBeNull();
    }

    [Fact]
    public async Task With_backlog_behaviour_the_connection_over_the_cap_waits_and_is_served_as_soon_as_one_closes()
    {
        var url = await _app.StartListenerAsync("backlog", new ListenerOptions { MaxConnections = 1, MaxConnectionsBehavior = MaxConnectionsBehavior.Backlog });
        var first = await Net.ConnectAsync(url);
        (await Net.SendRawAsync(first, "/")).ShouldContain("listener=backlog");

        using var second = await Net.ConnectAsync(url);
        var response = Net.SendRawAsync(second, "/");
        (await Net.SendRawAsync(first, "/")).ShouldContain("listener=backlog");
        response.IsCompleted.ShouldBeFalse();
        _app.Manager.GetListener("backlog")!.ConnectionsRejected.ShouldBe(0);

        first.Dispose();
        (await response.WaitAsync(Bound)).ShouldContain("listener=backlog");
        _app.Manager.GetListener("backlog")!.ConnectionsRejected.ShouldBe(0);
    }

    [Fact]
    public async Task Backlog_without_a_cap_and_a_negative_drain_spread_are_refused_naming_the_key()
    {
        var backlog = await Should.ThrowAsync<Microsoft.Extensions.Options.OptionsValidationException>(() =>
            _app.Manager.StartAsync("uncapped", new ListenerOptions { MaxConnectionsBehavior = MaxConnectionsBehavior.Backlog }));
        backlog.Message.ShouldContain("Roadrunner:Listeners:uncapped:MaxConnectionsBehavior: Backlog needs MaxConnections");

        var spread = await Should.ThrowAsync<Microsoft.Extensions.Options.OptionsValidationException>(() =>
            _app.Manager.StartAsync("spread", new ListenerOptions { DrainSpread = TimeSpan.FromSeconds(-1) }));
        spread.Message.ShouldContain("Roadrunner:Listeners:spread:DrainSpread: must not be negative");
        _app.Manager.Names.ShouldBeEmpty();
    }
}
