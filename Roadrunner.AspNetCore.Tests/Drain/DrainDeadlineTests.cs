using Microsoft.Extensions.Time.Testing;
using Roadrunner.AspNetCore.Drain;

namespace Roadrunner.AspNetCore.Tests.Drain;

/// <summary>The drain deadline on a fake clock: reached exactly at the deadline, never before, moved only earlier.</summary>
public sealed class DrainDeadlineTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));

    [Fact]
    public void Deadline_is_reached_at_the_timeout_and_not_a_tick_before()
    {
        using var deadline = new DrainDeadline(_time, TimeSpan.FromSeconds(10));
        deadline.Utc.ShouldBe(_time.GetUtcNow() + TimeSpan.FromSeconds(10));

        _time.Advance(TimeSpan.FromSeconds(10) - TimeSpan.FromTicks(1));
        deadline.Reached.IsCompleted.ShouldBeFalse();

        _time.Advance(TimeSpan.FromTicks(1));
        deadline.Reached.IsCompleted.ShouldBeTrue();
    }

    [Fact]
    public void Zero_timeout_is_reached_at_once()
    {
        using var deadline = new DrainDeadline(_time, TimeSpan.Zero);
        deadline.Reached.IsCompleted.ShouldBeTrue();
    }

    [Fact]
    public void Shortening_moves_the_deadline_earlier_and_never_later()
    {
        using var deadline = new DrainDeadline(_time, TimeSpan.FromMinutes(10));
        _time.Advance(TimeSpan.FromSeconds(1));

        deadline.TryShorten(TimeSpan.FromMinutes(20)).ShouldBeFalse();
        deadline.TryShorten(TimeSpan.FromSeconds(5)).ShouldBeTrue();
        deadline.Utc.ShouldBe(_time.GetUtcNow() + TimeSpan.FromSeconds(5));

        _time.Advance(TimeSpan.FromSeconds(4.999));
        deadline.Reached.IsCompleted.ShouldBeFalse();
        _time.Advance(TimeSpan.FromMilliseconds(1));
        deadline.Reached.IsCompleted.ShouldBeTrue();
    }

    [Fact]
    public void Infinite_timeout_has_no_deadline_until_shortened()
    {
        using var deadline = new DrainDeadline(_time, Timeout.InfiniteTimeSpan);
        deadline.Utc.ShouldBeNull();
        _time.Advance(TimeSpan.FromDays(3650));
        deadline.Reached.IsCompleted.ShouldBeFalse();

        deadline.TryShorten(Timeout.InfiniteTimeSpan).ShouldBeFalse();
        deadline.TryShorten(TimeSpan.FromSeconds(2)).ShouldBeTrue();
        _time.Advance(TimeSpan.FromSeconds(2));
        deadline.Reached.IsCompleted.ShouldBeTrue();
    }

    [Fact]
    public void Deadline_beyond_the_timer_range_is_reached_by_re_arming()
    {
        // Timers take at most ~49.7 days; the old drain faulted on such a timeout after the listener had turned Draining.
        using var deadline = new DrainDeadline(_time, TimeSpan.FromDays(60));

        _time.Advance(TimeSpan.FromDays(50));
        deadline.Reached.IsCompleted.ShouldBeFalse();
        _time.Advance(TimeSpan.FromDays(10) - TimeSpan.FromMilliseconds(1));
        deadline.Reached.IsCompleted.ShouldBeFalse();
        _time.Advance(TimeSpan.FromMilliseconds(1));
        deadline.Reached.IsCompleted.ShouldBeTrue();
    }

    [Fact]
    public void Timeout_whose_deadline_overflows_the_calendar_means_no_deadline()
    {
        using var deadline = new DrainDeadline(_time, TimeSpan.MaxValue);
        deadline.Utc.ShouldBeNull();
        deadline.TryShorten(TimeSpan.MaxValue).ShouldBeFalse();
        deadline.TryShorten(TimeSpan.FromSeconds(1)).ShouldBeTrue();
        _time.Advance(TimeSpan.FromSeconds(1));
        deadline.Reached.IsCompleted.ShouldBeTrue();
    }

    [Theory]
    [InlineData(-2)]
    [InlineData(-1000)]
    public void Negative_timeouts_other_than_infinite_are_refused(int milliseconds)
    {
        DrainDeadline.IsValidTimeout(TimeSpan.FromMilliseconds(milliseconds)).ShouldBeFalse();
        Should.Throw<ArgumentOutOfRangeException>(() => new DrainDeadline(_time, TimeSpan.FromMilliseconds(milliseconds)));
        DrainDeadline.IsValidTimeout(Timeout.InfiniteTimeSpan).ShouldBeTrue();
    }
}
