namespace Roadrunner.AspNetCore.Limits;

/// <summary>
/// One client address's permits: a count taken with a compare-and-swap on the request path and refilled by its
/// listener's timer (<see cref="ListenerRateLimiter"/>). Not <c>System.Threading.RateLimiting</c>'s
/// <c>TokenBucketRateLimiter</c>: that one takes a lock on every acquire, and behind a load balancer, or under load from
/// one address, every request of the listener contends for the same bucket (the limits profile measured its lock at
/// about 5 % of the server's working time; <c>./build.sh bench profile-limits</c>). It also measures time on its own
/// <c>Stopwatch</c>, where this bucket is refilled on the listener's <see cref="TimeProvider"/>.
/// </summary>
internal sealed class TokenBucket
{
    private readonly long _limit;
    private long _tokens;
    private long _fullSince; // Timestamp of the first tick that found the bucket full, 0 while it is in use.

    public TokenBucket(long limit)
    {
        _limit = limit;
        _tokens = limit;
    }

    /// <summary>Takes one permit when there is one.</summary>
    public bool TryAcquire()
    {
        var tokens = Volatile.Read(ref _tokens);
        while (tokens > 0)
        {
            var seen = Interlocked.CompareExchange(ref _tokens, tokens - 1, tokens);
            if (seen == tokens)
            {
                return true;
            }

            tokens = seen;
        }

        return false;
    }

    /// <summary>
    /// Adds <paramref name="permits"/> (up to the limit) on a timer tick at <paramref name="now"/>; returns how long the
    /// bucket has been found full at every tick since, i.e. how long its client has not needed a permit.
    /// </summary>
    public TimeSpan Refill(long permits, long now, TimeProvider time)
    {
        var tokens = Volatile.Read(ref _tokens);
        if (tokens >= _limit)
        {
            // Full before this tick's refill: nothing was taken since the last one.
            if (_fullSince == 0)
            {
                _fullSince = now;
            }

            return time.GetElapsedTime(_fullSince, now);
        }

        _fullSince = 0;
        while (permits > 0)
        {
            var seen = Interlocked.CompareExchange(ref _tokens, Math.Min(_limit, tokens + permits), tokens);
            if (seen == tokens)
            {
                break;
            }

            tokens = seen;
        }

        return TimeSpan.Zero;
    }
}
