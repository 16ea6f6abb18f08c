using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Roadrunner.AspNetCore.Diagnostics;
using Roadrunner.AspNetCore.Listeners;

namespace Roadrunner.AspNetCore.Limits;

/// <summary>
/// Answers the requests a listener's limits refuse — 503 over the connection cap, REFUSED_STREAM or 503 over the
/// requests per connection or in flight, 429 over the rate limit — and counts and reports them (metric, event, one
/// summary log per interval). Separate from <see cref="ListenerLimits"/>, which decides on the per-request path,
/// because none of this runs for a request that is let through.
/// </summary>
internal sealed class RequestRefusals
{
    // RFC 9113 §8.7: REFUSED_STREAM tells the client the stream was not processed and is safe to retry.
    private const int RefusedStream = 0x7;

    private readonly RuntimeListener _listener;
    private readonly RoadrunnerDiagnostics _diagnostics;
    private readonly TimeSpan _logInterval;
    private readonly LogThrottle _throttledLog;
    private readonly LogThrottle _rateLimitedLog;
    private long _throttled;
    private long _rateLimited;

    public RequestRefusals(RuntimeListener listener, RoadrunnerDiagnostics diagnostics, TimeProvider time, TimeSpan logInterval)
    {
        _listener = listener;
        _diagnostics = diagnostics;
        _logInterval = logInterval;
        _throttledLog = new LogThrottle(time, logInterval);
        _rateLimitedLog = new LogThrottle(time, logInterval);
    }

    /// <summary>Requests refused because <see cref="ListenerOptions.MaxConcurrentRequests"/> were in flight.</summary>
    public long Throttled => Interlocked.Read(ref _throttled);

    /// <summary>Requests answered 429 by the rate limit.</summary>
    public long RateLimited => Interlocked.Read(ref _rateLimited);

    /// <summary>A request on a connection accepted over the cap: 503, and the connection closes.</summary>
    public Task ServiceUnavailable(HttpContext context, ConnectionLimits connection, bool http2)
    {
        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        context.Response.Headers.RetryAfter = "1";
        if (http2)
        {
            connection.RequestClose("max_connections");
        }
        else
        {
            context.Response.Headers.Connection = "close";
        }

        RaiseRequestLimited(context, "max_connections");
        _diagnostics.Metrics.RequestThrottled(_listener.Name, "max_connections");
        return Task.CompletedTask;
    }

    /// <summary>A request over <see cref="ListenerOptions.MaxConcurrentRequests"/>: refused, counted, summarised.</summary>
    public void Throttle(HttpContext context, bool http2, int maxConcurrent)
    {
        Interlocked.Increment(ref _throttled);
        Refuse(context, http2, "max_concurrent_requests");
        bool report;
        int count;
        lock (_throttledLog)
        {
            report = _throttledLog.TryReport(out count);
        }

        if (report)
        {
            RoadrunnerLog.RequestsThrottled(_diagnostics.ListenersLogger, _listener.Name, count, (int)_logInterval.TotalSeconds, maxConcurrent);
        }
    }

    /// <summary>HTTP/2: REFUSED_STREAM (the client may retry it); HTTP/1.1: 503 with Retry-After.</summary>
    public void Refuse(HttpContext context, bool http2, string reason)
    {
        if (http2 && context.Features.Get<IHttpResetFeature>() is { } reset)
        {
            reset.Reset(RefusedStream);
        }
        else
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            context.Response.Headers.RetryAfter = "1";
        }

        _diagnostics.Metrics.RequestThrottled(_listener.Name, reason);
        RaiseRequestLimited(context, reason);
    }

    /// <summary>A request over the rate limit: 429 with Retry-After, counted, summarised.</summary>
    public void RejectRateLimited(HttpContext context, ListenerRateLimit limit, TimeSpan retryAfter)
    {
        Interlocked.Increment(ref _rateLimited);
        context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        var seconds = Math.Max(1, (long)Math.Ceiling(retryAfter.TotalSeconds));
        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        _diagnostics.Metrics.RequestRateLimited(_listener.Name);
        RaiseRequestLimited(context, "rate_limit");
        bool report;
        int count;
        lock (_rateLimitedLog)
        {
            report = _rateLimitedLog.TryReport(out count);
        }

        if (report && _diagnostics.ListenersLogger.IsEnabled(LogLevel.Warning))
        {
            RoadrunnerLog.RequestsRateLimited(
                _diagnostics.ListenersLogger, _listener.Name, count, (int)_logInterval.TotalSeconds, limit.PermitsPerSecond, limit.Burst, context.Connection.RemoteIpAddress?.ToString());
        }
    }

    private void RaiseRequestLimited(HttpContext context, string reason) =>
        _diagnostics.Write(
            RoadrunnerEvents.RequestLimited,
            (_listener.Name, context, reason),
            static s => new RequestLimitedEvent(
                s.Name,
                s.context.Connection.RemoteIpAddress is { } ip ? new System.Net.IPEndPoint(ip, s.context.Connection.RemotePort) : null,
                s.reason));
}
