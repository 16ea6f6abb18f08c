using System.Net;
using Microsoft.Extensions.Time.Testing;
using Roadrunner.AspNetCore.Limits;

namespace Roadrunner.AspNetCore.Tests.Limits;

/// <summary>
/// The per-client buckets of a rate limit: refilled at the rate on the listener's clock, never past the burst, exact under
/// racing requests, and dropped once idle so they do not pile up.
/// </summary>
public sealed class ListenerRateLimiterTests
{
    [Fact]
    public void Buckets_of_a_thousand_clients_are_dropped_once_they_are_idle()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var limiter = new ListenerRateLimiter(time);
        var limit = new ListenerRateLimit { PermitsPerSecond = 5, Burst = 5 };
        for (var i = 0; i < 1000; i++)
        {
            var address = new IPAddress([10, 0, (byte)(i / 256), (byte)(i % 256)]);
            limiter.TryAcquire(limit, address, out _).ShouldBeTrue();
        }

        limiter.Partitions.ShouldBe(1000);

        // 5/s: the permit each client took is back after 200 ms; the next tick finds the buckets full, and they go once
        // they have stayed full for IdleLimit.
        Advance(time, TimeSpan.FromMilliseconds(300) + ListenerRateLimiter.IdleLimit - TimeSpan.FromMilliseconds(100));
        limiter.Partitions.ShouldBe(1000);
        Advance(time, TimeSpan.FromMilliseconds(100));
        limiter.Partitions.ShouldBe(0);

        // A client that comes back starts with a full bucket.
        for (var i = 0; i < limit.Burst; i++)
        {
            limiter.TryAcquire(limit, IPAddress.Parse("10.0.0.1"), out _).ShouldBeTrue();
        }

        limiter.TryAcquire(limit, IPAddress.Parse("10.0.0.1"), out _).ShouldBeFalse();
        limiter.Partitions.ShouldBe(1);
    }

    [Fact]
    public void A_client_gets_permits_back_at_the_rate_on_the_listener_clock_and_never_more_than_the_burst()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var limiter = new ListenerRateLimiter(time);
        var limit = new ListenerRateLimit { PermitsPerSecond = 5, Burst = 3 };
        var client = IPAddress.Parse("192.0.2.1");
        Take(limiter, limit, client).ShouldBe(3);

        Advance(time, TimeSpan.FromMilliseconds(100)); // half a permit earned
        Take(limiter, limit, client).ShouldBe(0);
        Advance(time, TimeSpan.FromMilliseconds(100)); // the first whole one
        Take(limiter, limit, client).ShouldBe(1);
        Advance(time, TimeSpan.FromMilliseconds(600)); // three more
        Take(limiter, limit, client).ShouldBe(3);
        Advance(time, TimeSpan.FromSeconds(5)); // 25 earned, the bucket holds 3
        Take(limiter, limit, client).ShouldBe(3);

        limiter.TryAcquire(limit, client, out var retryAfter).ShouldBeFalse();
        retryAfter.ShouldBe(TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task Clients_racing_for_one_bucket_get_exactly_its_permits()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var limiter = new ListenerRateLimiter(time);
        var limit = new ListenerRateLimit { PermitsPerSecond = 1, Burst = 1000 };
        var client = IPAddress.Loopback;
        using var start = new ManualResetEventSlim();
        var racers = Enumerable.Range(0, 4).Select(racer => Task.Run(() =>
        {
            start.Wait(TimeSpan.FromSeconds(10));
            var granted = 0;
            for (var i = 0; i < 5000; i++)
            {
                granted += limiter.TryAcquire(limit, client, out _) ? 1 : 0;
            }

            return granted;
        })).ToArray();
        start.Set();

        (await Task.WhenAll(racers).WaitAsync(TimeSpan.FromSeconds(30))).Sum().ShouldBe(1000);
    }

    [Fact]
    public void A_changed_rate_limit_value_builds_new_buckets_and_an_equal_one_keeps_them()
    {
        using var limiter = new ListenerRateLimiter(new FakeTimeProvider(DateTimeOffset.UtcNow));
        var address = IPAddress.Loopback;
        var strict = new ListenerRateLimit { PermitsPerSecond = 1, Burst = 1 };

        limiter.TryAcquire(strict, address, out _).ShouldBeTrue();
        limiter.TryAcquire(strict with { }, address, out var retryAfter).ShouldBeFalse(); // equal value: same bucket, now empty
        retryAfter.ShouldBeGreaterThan(TimeSpan.Zero);

        limiter.TryAcquire(new ListenerRateLimit { PermitsPerSecond = 1, Burst = 2 }, address, out _).ShouldBeTrue(); // new value: new buckets
    }

    private static int Take(ListenerRateLimiter limiter, ListenerRateLimit limit, IPAddress client)
    {
        var taken = 0;
        while (taken < 1000 && limiter.TryAcquire(limit, client, out _))
        {
            taken++;
        }

        return taken;
    }

    // One timer tick (100 ms) at a time, as the system clock would fire them.
    private static void Advance(FakeTimeProvider time, TimeSpan by)
    {
        for (var left = by; left > TimeSpan.Zero; left -= TimeSpan.FromMilliseconds(100))
        {
            time.Advance(TimeSpan.FromMilliseconds(100));
        }
    }
}
