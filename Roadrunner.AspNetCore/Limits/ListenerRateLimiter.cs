using System.Net;
using System.Threading.RateLimiting;

namespace Roadrunner.AspNetCore.Limits;

/// <summary>
/// A listener's per-client-IP token buckets, on <see cref="PartitionedRateLimiter"/>: one bucket per client address,
/// replenished by the partitioned limiter's own 100 ms heartbeat (one timer per listener, none per client), and removed by
/// it once full and idle for 10 s, so a stream of new addresses does not grow memory without bound. The limiter is built
/// lazily and rebuilt when the listener's <see cref="ListenerRateLimit"/> changes value (live updates swap the options).
/// </summary>
internal sealed class ListenerRateLimiter : IDisposable
{
    private static readonly TimeSpan Period = TimeSpan.FromSeconds(1);
    private readonly Lock _lock = new();
    private volatile Built? _current;
    private bool _disposed;

    /// <summary>Takes a permit for <paramref name="address"/>; on refusal, how long until one is back (at least 1 s).</summary>
    public bool TryAcquire(ListenerRateLimit limit, IPAddress? address, out TimeSpan retryAfter)
    {
        var built = _current;
        if (built is null || built.Source != limit)
        {
            built = Rebuild(limit);
        }

        RateLimitLease lease;
        try
        {
            lease = built.Limiter.AttemptAcquire(address ?? IPAddress.None);
        }
        catch (ObjectDisposedException)
        {
            // Replaced by a rebuild (or the listener closed) between reading it and using it: let this one request through.
            retryAfter = TimeSpan.Zero;
            return true;
        }

        using (lease)
        {
            if (lease.IsAcquired)
            {
                retryAfter = TimeSpan.Zero;
                return true;
            }

            retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var after) && after > TimeSpan.Zero ? after : Period;
            return false;
        }
    }

    public void Dispose()
    {
        Built? old;
        lock (_lock)
        {
            _disposed = true;
            old = _current;
            _current = null;
        }

        old?.Limiter.Dispose();
    }

    private Built Rebuild(ListenerRateLimit limit)
    {
        Built? old;
        Built built;
        lock (_lock)
        {
            if (_current is { } current && current.Source == limit)
            {
                return current;
            }

            // A copy: the options object may be changed in place later; the comparison above must see that as a change.
            var source = limit with { };
            var options = new TokenBucketRateLimiterOptions
            {
                TokenLimit = source.Burst,
                TokensPerPeriod = source.PermitsPerSecond,
                ReplenishmentPeriod = Period,
                QueueLimit = 0,
                AutoReplenishment = false, // The partitioned limiter's heartbeat replenishes every bucket.
            };
            Func<IPAddress, RateLimiter> factory = _ => new TokenBucketRateLimiter(options);
            built = new Built(source, PartitionedRateLimiter.Create<IPAddress, IPAddress>(address => RateLimitPartition.Get(address, factory)));
            old = _current;
            if (_disposed)
            {
                // The listener closed meanwhile: serve this request with a limiter nobody keeps.
                old = built;
            }
            else
            {
                _current = built;
            }
        }

        old?.Limiter.Dispose();
        return built;
    }

    /// <summary>The limiter in use, if built (tests look at its partitions).</summary>
    internal PartitionedRateLimiter<IPAddress>? Current => _current?.Limiter;

    private sealed class Built(ListenerRateLimit source, PartitionedRateLimiter<IPAddress> limiter)
    {
        public ListenerRateLimit Source { get; } = source;

        public PartitionedRateLimiter<IPAddress> Limiter { get; } = limiter;
    }
}
