using System.Collections.Concurrent;
using System.Net;

namespace Roadrunner.AspNetCore.Limits;

/// <summary>
/// A listener's per-client-IP token buckets: one <see cref="TokenBucket"/> per client address, all refilled by one timer
/// per listener (none per client) from the listener's <see cref="TimeProvider"/>, and dropped once full and idle for
/// <see cref="IdleLimit"/>, so a stream of new addresses does not grow memory without bound; past
/// <see cref="MaxPartitions"/> addresses at once, new ones share one overflow bucket. Not
/// <c>System.Threading.RateLimiting</c>'s <c>PartitionedRateLimiter</c>, which allocates 32 bytes per acquire (a closure;
/// measured), nor its <c>TokenBucketRateLimiter</c>, which locks on every acquire (see <see cref="TokenBucket"/>): the
/// request path must allocate nothing and not serialise one client's requests. The buckets are built lazily and rebuilt
/// when the listener's <see cref="ListenerRateLimit"/> changes value (live updates swap options).
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

        // A bucket dropped as idle (or replaced by a rebuild) between lookup and use was full: taking from it lets this
        // request through, as a fresh bucket would.
        if (buckets.For(address ?? Overflow).TryAcquire())
        {
            retryAfter = TimeSpan.Zero;
            return true;
        }

        // PermitsPerSecond is a whole number of at least 1, so a permit is back within a second: Retry-After: 1.
        retryAfter = Period;
        return false;
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
        private readonly ConcurrentDictionary<IPAddress, TokenBucket> _byAddress = new();
        private readonly TimeProvider _time;
        private readonly ITimer _timer;
        private long _lastTick;
        private double _carry; // The fraction of a permit earned by the ticks so far and not yet handed out.
        private int _ticking;

        public Buckets(ListenerRateLimit source, TimeProvider time)
        {
            Source = source;
            _time = time;
            _lastTick = time.GetTimestamp();
            _timer = time.CreateTimer(static state => ((Buckets)state!).OnTick(), this, Tick, Tick);
        }

        public ListenerRateLimit Source { get; }

        public int Count => _byAddress.Count;

        public TokenBucket For(IPAddress address)
        {
            if (_byAddress.TryGetValue(address, out var bucket))
            {
                return bucket;
            }

            if (_byAddress.Count >= MaxPartitions)
            {
                address = Overflow;
            }

            return _byAddress.GetOrAdd(address, static (_, burst) => new TokenBucket(burst), Source.Burst);
        }

        public void Dispose()
        {
            _timer.Dispose();
            _byAddress.Clear();
        }

        private void OnTick()
        {
            // A late tick must not run beside the next one: both would hand out the same elapsed time.
            if (Interlocked.Exchange(ref _ticking, 1) != 0)
            {
                return;
            }

            try
            {
                // Permits earned since the last tick, from the clock rather than the tick count, so late ticks lose nothing.
                var now = _time.GetTimestamp();
                var earned = _carry + (Source.PermitsPerSecond * _time.GetElapsedTime(_lastTick, now).TotalSeconds);
                var permits = (long)Math.Min(Math.Floor(earned), Source.Burst);
                _carry = permits == Source.Burst ? 0 : earned - permits;
                _lastTick = now;
                foreach (var (address, bucket) in _byAddress)
                {
                    if (bucket.Refill(permits, now, _time) >= IdleLimit)
                    {
                        _byAddress.TryRemove(new KeyValuePair<IPAddress, TokenBucket>(address, bucket));
                    }
                }
            }
            finally
            {
                Volatile.Write(ref _ticking, 0);
            }
        }
    }
}
