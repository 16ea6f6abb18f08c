using System.Collections.Concurrent;
using System.Net;
using System.Threading.RateLimiting;

namespace Roadrunner.AspNetCore.Limits;

/// <summary>
/// A listener's per-client-IP token buckets: one <see cref="TokenBucketRateLimiter"/> per client address, all replenished
/// by one timer per listener (none per client), and dropped once full and idle for <see cref="IdleLimit"/>, so a stream of
/// new addresses does not grow memory without bound; past <see cref="MaxPartitions"/> addresses at once, new ones share
/// one overflow bucket. The table is this class's rather than <see cref="PartitionedRateLimiter"/>'s because that one
/// allocates 32 bytes per acquire (a closure; measured), and the request path must allocate nothing. The buckets are
/// built lazily and rebuilt when the listener's <see cref="ListenerRateLimit"/> changes value (live updates swap options).
/// </summary>
internal sealed class ListenerRateLimiter : IDisposable
{
    public const int MaxPartitions = 100_000;
    public static readonly TimeSpan IdleLimit = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Period = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(100);
    private static readonly IPAddress Overflow = IPAddress.None;

    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private volatile Buckets? _current;
    private bool _disposed;

    public ListenerRateLimiter(TimeProvider time) => _time = time;

    /// <summary>Client addresses with a bucket right now.</summary>
    public int Partitions => _current?.Count ?? 0;

    /// <summary>Takes a permit for <paramref name="address"/>; on refusal, how long until one is back (at least 1 s).</summary>
    public bool TryAcquire(ListenerRateLimit limit, IPAddress? address, out TimeSpan retryAfter)
    {
        var buckets = _current;
        if (buckets is null || buckets.Source != limit)
        {
            buckets = Rebuild(limit);
        }

        RateLimitLease lease;
        try
        {
            lease = buckets.For(address ?? Overflow).AttemptAcquire();
        }
        catch (ObjectDisposedException)
        {
            // The bucket was dropped as idle, or replaced by a rebuild, between lookup and use: let this request through.
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
        Buckets? old;
        lock (_lock)
        {
            _disposed = true;
            old = _current;
            _current = null;
        }

        old?.Dispose();
    }

    private Buckets Rebuild(ListenerRateLimit limit)
    {
        Buckets? old;
        Buckets built;
        lock (_lock)
        {
            if (_current is { } current && current.Source == limit)
            {
                return current;
            }

            // A copy: the options object may be changed in place later; the comparison above must see that as a change.
            built = new Buckets(limit with { }, _time);
            old = _current;
            if (_disposed)
            {
                old = built; // The listener closed meanwhile: serve this request, keep nothing.
            }
            else
            {
                _current = built;
            }
        }

        old?.Dispose();
        return built;
    }

    /// <summary>The buckets of one <see cref="ListenerRateLimit"/> value, and the timer that refills and prunes them.</summary>
    private sealed class Buckets : IDisposable
    {
        private readonly ConcurrentDictionary<IPAddress, TokenBucketRateLimiter> _byAddress = new();
        private readonly TokenBucketRateLimiterOptions _options;
        private readonly ITimer _timer;

        public Buckets(ListenerRateLimit source, TimeProvider time)
        {
            Source = source;
            _options = new TokenBucketRateLimiterOptions
            {
                TokenLimit = source.Burst,
                TokensPerPeriod = source.PermitsPerSecond,
                ReplenishmentPeriod = Period,
                QueueLimit = 0,
                AutoReplenishment = false, // Refilled by the one timer below, not a timer per bucket.
            };
            _timer = time.CreateTimer(static state => ((Buckets)state!).OnTick(), this, Tick, Tick);
        }

        public ListenerRateLimit Source { get; }

        public int Count => _byAddress.Count;

        public TokenBucketRateLimiter For(IPAddress address)
        {
            if (_byAddress.TryGetValue(address, out var bucket))
            {
                return bucket;
            }

            if (_byAddress.Count >= MaxPartitions)
            {
                address = Overflow;
            }

            return _byAddress.GetOrAdd(address, static (_, options) => new TokenBucketRateLimiter(options), _options);
        }

        public void Dispose()
        {
            _timer.Dispose();
            foreach (var bucket in _byAddress.Values)
            {
                bucket.Dispose();
            }

            _byAddress.Clear();
        }

        private void OnTick()
        {
            foreach (var (address, bucket) in _byAddress)
            {
                bucket.TryReplenish();

                // IdleDuration is set while the bucket is full: this client has not needed a permit for that long.
                if (bucket.IdleDuration is { } idle && idle >= IdleLimit && _byAddress.TryRemove(new KeyValuePair<IPAddress, TokenBucketRateLimiter>(address, bucket)))
                {
                    bucket.Dispose();
                }
            }
        }
    }
}
