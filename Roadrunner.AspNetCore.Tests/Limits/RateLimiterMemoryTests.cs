using System.Diagnostics;
using System.Net;
using Roadrunner.AspNetCore.Limits;

namespace Roadrunner.AspNetCore.Tests.Limits;

/// <summary>The per-client buckets of a rate limit do not pile up: idle ones are dropped, and their number is capped.</summary>
public sealed class RateLimiterMemoryTests
{
    [Fact]
    public async Task Buckets_of_a_thousand_clients_are_dropped_once_they_are_idle()
    {
        using var limiter = new ListenerRateLimiter(TimeProvider.System);
        var limit = new ListenerRateLimit { PermitsPerSecond = 5, Burst = 5 };
        for (var i = 0; i < 1000; i++)
        {
            var address = new IPAddress([10, 0, (byte)(i / 256), (byte)(i % 256)]);
            limiter.TryAcquire(limit, address, out _).ShouldBeTrue();
        }

        limiter.Partitions.ShouldBe(1000);

        // TokenBucketRateLimiter measures refill and idleness on its own clock (Stopwatch, no TimeProvider), so this waits
        // for real: a bucket is full again after 1 s and dropped 10 s later; polled for at most 25 s.
        var clock = Stopwatch.StartNew();
        while (limiter.Partitions > 0 && clock.Elapsed < TimeSpan.FromSeconds(25))
        {
            await Task.Delay(250);
        }

        limiter.Partitions.ShouldBe(0);
        clock.Elapsed.ShouldBeGreaterThanOrEqualTo(ListenerRateLimiter.IdleLimit);

        // A client that comes back starts with a full bucket.
        limiter.TryAcquire(limit, IPAddress.Parse("10.0.0.1"), out _).ShouldBeTrue();
        limiter.Partitions.ShouldBe(1);
    }

    [Fact]
    public void A_changed_rate_limit_value_builds_new_buckets_and_an_equal_one_keeps_them()
    {
        using var limiter = new ListenerRateLimiter(TimeProvider.System);
        var address = IPAddress.Loopback;
        var strict = new ListenerRateLimit { PermitsPerSecond = 1, Burst = 1 };

        limiter.TryAcquire(strict, address, out _).ShouldBeTrue();
        limiter.TryAcquire(strict with { }, address, out var retryAfter).ShouldBeFalse(); // equal value: same bucket, now empty
        retryAfter.ShouldBeGreaterThan(TimeSpan.Zero);

        limiter.TryAcquire(new ListenerRateLimit { PermitsPerSecond = 1, Burst = 2 }, address, out _).ShouldBeTrue(); // new value: new buckets
    }
}
