using System.Globalization;

namespace Roadrunner.AspNetCore.Limits;

/// <summary>
/// The checks of the per-listener limits, called by <see cref="Listeners.ListenerOptionsValidator"/>. Each message names
/// the key (<c>Roadrunner:Listeners:{name}:{Key}</c>), what was given and what to write instead.
/// </summary>
internal static class ListenerLimitsValidation
{
    // Kestrel checks its timeouts once per heartbeat (1 s); a shorter value would be enforced as about a second anyway.
    private static readonly TimeSpan MinTimeout = TimeSpan.FromSeconds(1);

    public static void Validate(string prefix, ListenerOptions options, List<string> failures)
    {
        if (options.MaxRequestBodySize is < 0)
        {
            failures.Add(Invariant($"{prefix}MaxRequestBodySize: must be 0 or more bytes, or null for Kestrel's server-wide limit (got {options.MaxRequestBodySize})."));
        }

        CheckTimeout(prefix, nameof(ListenerOptions.RequestHeadersTimeout), options.RequestHeadersTimeout, failures);
        CheckTimeout(prefix, nameof(ListenerOptions.KeepAliveTimeout), options.KeepAliveTimeout, failures);

        if (options.MaxRequestsPerConnection is < 1)
        {
            failures.Add(Invariant($"{prefix}MaxRequestsPerConnection: must be at least 1, or null for no limit (got {options.MaxRequestsPerConnection})."));
        }

        if (options.MinRequestBodyDataRate is { } rate)
        {
            if (!(rate.BytesPerSecond > 0) || double.IsInfinity(rate.BytesPerSecond))
            {
                failures.Add(Invariant($"{prefix}MinRequestBodyDataRate:BytesPerSecond: must be a finite number greater than 0 (got {rate.BytesPerSecond}); remove MinRequestBodyDataRate to keep Kestrel's server-wide rate."));
            }

            if (rate.GracePeriod <= MinTimeout)
            {
                failures.Add(Invariant($"{prefix}MinRequestBodyDataRate:GracePeriod: must be more than 1 second, as Kestrel requires (got {rate.GracePeriod}); e.g. 00:00:05."));
            }
        }

        if (options.MaxConcurrentRequests is < 1)
        {
            failures.Add(Invariant($"{prefix}MaxConcurrentRequests: must be at least 1, or null for no limit (got {options.MaxConcurrentRequests})."));
        }

        if (options.RateLimit is { } limit)
        {
            if (limit.PermitsPerSecond < 1)
            {
                failures.Add(Invariant($"{prefix}RateLimit:PermitsPerSecond: must be at least 1 (got {limit.PermitsPerSecond}); remove RateLimit for no rate limit."));
            }

            if (limit.Burst < 1)
            {
                failures.Add(Invariant($"{prefix}RateLimit:Burst: must be at least 1 (got {limit.Burst}); PermitsPerSecond is a good start."));
            }
        }
    }

    private static void CheckTimeout(string prefix, string key, TimeSpan? value, List<string> failures)
    {
        if (value is { } timeout && timeout < MinTimeout)
        {
            failures.Add(Invariant($"{prefix}{key}: must be at least 1 second (got {timeout}), or null for Kestrel's server-wide timeout; it is checked on Kestrel's one-second heartbeat."));
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
