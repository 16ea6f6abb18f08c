using System.Runtime.CompilerServices;
using Roadrunner.AspNetCore.Listeners;

namespace Roadrunner.AspNetCore.Tests.Listeners;

/// <summary>The per-request counters keep 128 bytes of padding either side and count exactly under racing increments.</summary>
public sealed class PaddedCounterTests
{
    [Fact]
    public async Task The_counter_is_alone_on_its_cache_lines_and_exact_under_racing_increments()
    {
        Unsafe.SizeOf<PaddedCounter>().ShouldBe(256);
        var holder = new Holder();
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < 10_000; i++)
            {
                holder.Counter.Increment();
            }
        }))).WaitAsync(TimeSpan.FromSeconds(30));

        holder.Counter.Value.ShouldBe(40_000);
        holder.Counter.Decrement().ShouldBe(39_999);
    }

    private sealed class Holder
    {
        public PaddedCounter Counter;
    }
}
