using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Roadrunner.AspNetCore.Diagnostics;
using Roadrunner.AspNetCore.Drain;

namespace Roadrunner.AspNetCore.Tests.Drain;

/// <summary>
/// The drain spread's schedule on a fake clock: the requests still running when the drain starts are told evenly over
/// the window (the fleet target: no 100 ms slice of a 2 s spread holds more than 10 % of them), whatever ran and ended
/// before, and requests that are no longer running do not take a share of the window.
/// </summary>
public sealed class DrainSpreadScheduleTests : IDisposable
{
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan Slice = TimeSpan.FromMilliseconds(100);

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();

    [Theory]
    [InlineData(67, 0)]
    [InlineData(67, 5_000)]
    [InlineData(50, 300)]
    [InlineData(200, 2_000)]
    [InlineData(1_000, 10_000)]
    public void Running_requests_are_told_evenly_over_the_window(int longLived, int shortLived)
    {
        var generation = NewGeneration();
        var random = new Random(longLived * 31 + shortLived);
        var running = new List<DrainSignal>();
        var ended = 0;

        // Long-lived requests arrive among short ones, which end in random order (as a real mix does).
        var shortRunning = new List<DrainSignal>();
        for (int i = 0, l = 0; i < longLived + shortLived; i++)
        {
            var signal = generation.ForNewRequest();
            signal.Enter();
            if (l < longLived && random.Next(longLived + shortLived) < longLived)
            {
                running.Add(signal);
                l++;
            }
            else
            {
                shortRunning.Add(signal);
            }

            while (shortRunning.Count > 0 && random.Next(3) == 0)
            {
                var index = random.Next(shortRunning.Count);
                shortRunning[index].Exit();
                shortRunning.RemoveAt(index);
                ended++;
            }

            if (i == longLived + shortLived - 1 && l < longLived)
            {
                i--; // keep dealing until every long-lived request is in
            }
        }

        shortRunning.ForEach(s => s.Exit());
        ended += shortRunning.Count;
        ended.ShouldBeGreaterThanOrEqualTo(shortLived);

        var toldAt = TellTimes(generation, running);

        toldAt.ShouldAllBe(t => t <= Window + TimeSpan.FromMilliseconds(20)); // the window, give or take the clock's 10 ms steps
        generation.SpreadRequests.ShouldBe(longLived);
        var worstSlice = toldAt.GroupBy(t => (long)(t / Slice)).Max(g => g.Count());
        ((double)worstSlice / longLived).ShouldBeLessThanOrEqualTo(0.10, $"worst 100 ms slice held {worstSlice} of {longLived}");
        toldAt.Max().ShouldBeGreaterThanOrEqualTo(Window * 0.85);
        generation.LastSignalAt.ShouldNotBeNull();
    }

    [Fact]
    public void Without_running_requests_everyone_is_told_at_once()
    {
        var generation = NewGeneration();
        var signals = Enumerable.Range(0, 100).Select(_ => generation.ForNewRequest()).ToList();

        generation.FireSpread(_time.GetUtcNow() + TimeSpan.FromSeconds(10), Window);

        signals.ShouldAllBe(s => s.IsDraining);
        generation.LastSignalAt.ShouldBe(_time.GetUtcNow());
    }

    [Fact]
    public void Moving_the_deadline_tells_the_rest_at_once()
    {
        var generation = NewGeneration();
        var signals = Enumerable.Range(0, 64).Select(_ => generation.ForNewRequest()).ToList();
        signals.ForEach(s => s.Enter());
        generation.FireSpread(_time.GetUtcNow() + TimeSpan.FromSeconds(10), Window);
        signals.Count(s => s.IsDraining).ShouldBeLessThan(signals.Count);
        generation.LastSignalAt.ShouldBeNull();

        _time.Advance(TimeSpan.FromMilliseconds(500));
        generation.FireAll(_time.GetUtcNow() + TimeSpan.FromSeconds(1));

        signals.ShouldAllBe(s => s.IsDraining);
        signals.ShouldAllBe(s => s.Deadline == _time.GetUtcNow() + TimeSpan.FromSeconds(1));
        generation.LastSignalAt.ShouldBe(_time.GetUtcNow());
    }

    [Fact]
    public void A_late_timer_tick_tells_a_small_share_and_the_rest_catch_up_without_a_burst()
    {
        const int count = 200;
        var clock = new ManualClock();
        var generation = NewGeneration(clock);
        var signals = Enumerable.Range(0, count).Select(_ => generation.ForNewRequest()).ToList();
        signals.ForEach(s => s.Enter());

        generation.FireSpread(clock.GetUtcNow() + TimeSpan.FromSeconds(30), Window);
        var toldAtStart = signals.Count(s => s.IsDraining);

        // The machine was busy: the first tick comes 500 ms late, when a quarter of the requests are due.
        clock.AdvanceAndTick(TimeSpan.FromMilliseconds(500));
        var toldByLateTick = signals.Count(s => s.IsDraining) - toldAtStart;
        toldByLateTick.ShouldBeLessThanOrEqualTo((int)(count * 0.05));
        toldByLateTick.ShouldBeGreaterThan(0);

        // From then on ticks are on time; the spread catches up with at most 7.5 % per 100 ms, and ends by twice the window.
        var toldPerSlice = new List<int>();
        var slice = 0;
        for (var step = 0; step < 3_500 && signals.Any(s => !s.IsDraining); step++)
        {
            var before = signals.Count(s => s.IsDraining);
            clock.AdvanceAndTick(TimeSpan.FromMilliseconds(1));
            if (step % 100 == 0)
            {
                toldPerSlice.Add(0);
                slice = toldPerSlice.Count - 1;
            }

            toldPerSlice[slice] += signals.Count(s => s.IsDraining) - before;
        }

        signals.ShouldAllBe(s => s.IsDraining);
        clock.Elapsed.ShouldBeLessThanOrEqualTo(Window * 2);
        toldPerSlice.Max().ShouldBeLessThanOrEqualTo((int)(count * 0.10));
    }

    public void Dispose() => _services.Dispose();

    private List<TimeSpan> TellTimes(DrainGeneration generation, List<DrainSignal> running)
    {
        var start = _time.GetUtcNow();
        var toldAt = new TimeSpan?[running.Count];
        for (var i = 0; i < running.Count; i++)
        {
            var index = i;
            running[i].DrainRequested.Register(() => toldAt[index] = _time.GetUtcNow() - start);
        }

        generation.FireSpread(start + TimeSpan.FromSeconds(30), Window);
        for (var step = 0; step < 300 && toldAt.Any(t => t is null); step++)
        {
            _time.Advance(TimeSpan.FromMilliseconds(10));
        }

        toldAt.ShouldAllBe(t => t != null);
        return toldAt.Select(t => t!.Value).ToList();
    }

    private DrainGeneration NewGeneration(TimeProvider? clock = null)
    {
        var diagnostics = new RoadrunnerDiagnostics(NullLoggerFactory.Instance, new RoadrunnerMetrics(_services.GetRequiredService<IMeterFactory>()));
        return new DrainGeneration(listener: null, spread: true, diagnostics, clock ?? _time);
    }

    /// <summary>
    /// A clock whose timers fire only when told, and then late if time was advanced past them (FakeTimeProvider fires
    /// each timer at its own due time, so it cannot show a late tick).
    /// </summary>
    private sealed class ManualClock : TimeProvider
    {
        private readonly DateTimeOffset _start = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);
        private readonly List<ManualTimer> _timers = [];

        public TimeSpan Elapsed { get; private set; }

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => Elapsed.Ticks;

        public override DateTimeOffset GetUtcNow() => _start + Elapsed;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = new ManualTimer(this, callback, state);
            timer.Change(dueTime, period);
            _timers.Add(timer);
            return timer;
        }

        public void AdvanceAndTick(TimeSpan by)
        {
            Elapsed += by;
            foreach (var timer in _timers.ToList())
            {
                timer.FireIfDue(Elapsed);
            }
        }

        private sealed class ManualTimer(ManualClock clock, TimerCallback callback, object? state) : ITimer
        {
            private TimeSpan? _due;

            public bool Change(TimeSpan dueTime, TimeSpan period)
            {
                _due = dueTime == Timeout.InfiniteTimeSpan ? null : clock.Elapsed + dueTime;
                return true;
            }

            public void FireIfDue(TimeSpan now)
            {
                if (_due is { } due && due <= now)
                {
                    _due = null;
                    callback(state);
                }
            }

            public void Dispose() => _due = null;

            public ValueTask DisposeAsync()
            {
                _due = null;
                return ValueTask.CompletedTask;
            }
        }
    }
}
