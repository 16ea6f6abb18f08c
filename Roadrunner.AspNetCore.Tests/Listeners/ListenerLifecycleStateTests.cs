using Roadrunner.AspNetCore.Listeners;

namespace Roadrunner.AspNetCore.Tests.Listeners;

/// <summary>The one state machine of a listener: only the listed moves happen, and each exactly once.</summary>
public sealed class ListenerLifecycleStateTests
{
    [Fact]
    public void Normal_life_goes_starting_accepting_draining_stopped_closed()
    {
        var lifecycle = new ListenerLifecycle();
        lifecycle.Current.ShouldBe(ListenerState.Starting);
        lifecycle.TryMoveTo(ListenerState.Accepting).ShouldBeTrue();
        lifecycle.TryMoveTo(ListenerState.Draining).ShouldBeTrue();
        lifecycle.Status.ShouldBe(ListenerStatus.Draining);
        lifecycle.TryMoveTo(ListenerState.Stopped).ShouldBeTrue();
        lifecycle.TryMoveTo(ListenerState.Closed).ShouldBeTrue();
        lifecycle.Status.ShouldBe(ListenerStatus.Stopped);
    }

    [Fact]
    public void A_stopped_listener_with_open_connections_can_still_be_drained_by_host_shutdown()
    {
        var lifecycle = new ListenerLifecycle();
        lifecycle.TryMoveTo(ListenerState.Accepting);
        lifecycle.TryMoveTo(ListenerState.Stopping).ShouldBeTrue();
        lifecycle.TryMoveTo(ListenerState.Stopped).ShouldBeTrue();
        lifecycle.TryMoveTo(ListenerState.Draining).ShouldBeTrue();
    }

    [Fact]
    public void Closed_is_terminal_and_nothing_drains_a_listener_that_never_started()
    {
        var lifecycle = new ListenerLifecycle();
        lifecycle.TryMoveTo(ListenerState.Draining).ShouldBeFalse();
        lifecycle.TryMoveTo(ListenerState.Closed).ShouldBeTrue();
        foreach (var state in Enum.GetValues<ListenerState>())
        {
            lifecycle.TryMoveTo(state).ShouldBeFalse();
        }
    }

    [Fact]
    public void Of_concurrent_identical_moves_exactly_one_wins()
    {
        var lifecycle = new ListenerLifecycle();
        lifecycle.TryMoveTo(ListenerState.Accepting);
        var winners = 0;
        Parallel.For(0, 64, _ =>
        {
            if (lifecycle.TryMoveTo(ListenerState.Stopping))
            {
                Interlocked.Increment(ref winners);
            }
        });

        winners.ShouldBe(1);
        lifecycle.TryMoveTo(ListenerState.Draining, out var from).ShouldBeTrue();
        from.ShouldBe(ListenerState.Stopping);
    }
}
