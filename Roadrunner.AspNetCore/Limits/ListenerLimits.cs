using System.Globalization;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Microsoft.Extensions.Logging;
using Roadrunner.AspNetCore.Diagnostics;
using Roadrunner.AspNetCore.Listeners;

namespace Roadrunner.AspNetCore.Limits;

/// <summary>
/// A listener's request-side limits, applied in Roadrunner's first middleware: the connection-cap 503, requests per
/// connection, the per-client-IP rate limit, the body size and data rate handed to Kestrel, and the in-flight cap. Every
/// value is read from <see cref="RuntimeListener.Options"/> per request, so options swapped at runtime apply to the next
/// request. A listener with no limit set pays one check of its options; only a listener that counts in-flight requests
/// (<see cref="ListenerOptions.MaxConcurrentRequests"/>, or a connection-scoped limit) waits for the pipeline to return,
/// and only when the pipeline does not complete at once.
/// </summary>
internal sealed class ListenerLimits : IDisposable
{
    // RFC 9113 §8.7: REFUSED_STREAM tells the client the stream was not processed and is safe to retry.
    private const int RefusedStream = 0x7;
    private static readonly TimeSpan LogInterval = TimeSpan.FromSeconds(10);

    private readonly RuntimeListener _listener;
    private readonly RoadrunnerDiagnostics _diagnostics;
    private readonly TimeProvider _time;
    private readonly ListenerRateLimiter _rateLimiter;
    private readonly LogThrottle _throttledLog;
    private readonly LogThrottle _rateLimitedLog;
    private readonly Dictionary<string, LogThrottle> _closedLogs;
    private volatile DataRateCache? _dataRate;
    private int _inFlight;
    private long _throttled;
    private long _rateLimited;
    private int _http2RateNoted;

    public ListenerLimits(RuntimeListener listener, RoadrunnerDiagnostics diagnostics, TimeProvider time)
    {
        _listener = listener;
        _diagnostics = diagnostics;
        _time = time;
        _rateLimiter = new ListenerRateLimiter(time);
        _throttledLog = new LogThrottle(time, LogInterval);
        _rateLimitedLog = new LogThrottle(time, LogInterval);
        _closedLogs = new Dictionary<string, LogThrottle>(StringComparer.Ordinal)
        {
            ["keep_alive_timeout"] = new(time, LogInterval),
            ["request_headers_timeout"] = new(time, LogInterval),
            ["max_requests_per_connection"] = new(time, LogInterval),
            ["max_connections_idle"] = new(time, LogInterval),
        };
    }

    /// <summary>Requests refused because <see cref="ListenerOptions.MaxConcurrentRequests"/> were in flight.</summary>
    public long Throttled => Interlocked.Read(ref _throttled);

    /// <summary>Requests answered 429 by the rate limit.</summary>
    public long RateLimited => Interlocked.Read(ref _rateLimited);

    /// <summary>Requests in flight, counted while <see cref="ListenerOptions.MaxConcurrentRequests"/> is set.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    internal ListenerRateLimiter RateLimiter => _rateLimiter;

    /// <summary>State for a connection accepted now, or <see langword="null"/> when no connection-scoped limit applies.</summary>
    public ConnectionLimits? ForNewConnection(bool overCap) =>
        overCap || ConnectionLimits.IsNeeded(_listener.Options) ? new ConnectionLimits(_listener, _time, overCap) : null;

    public Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var options = _listener.Options;
        if (options is
            {
                MaxRequestBodySize: null, MinRequestBodyDataRate: null, MaxConcurrentRequests: null, RateLimit: null,
                MaxRequestsPerConnection: null, KeepAliveTimeout: null, RequestHeadersTimeout: null,
            }
            && options.MaxConnectionsBehavior != MaxConnectionsBehavior.ServiceUnavailable)
        {
            return next(context);
        }

        return InvokeLimitedAsync(options, context, next);
    }

    private Task InvokeLimitedAsync(ListenerOptions options, HttpContext context, RequestDelegate next)
    {
        var http2 = HttpProtocol.IsHttp2(context.Request.Protocol);
        var connection = context.Features.Get<ConnectionLimits>();
        if (connection is { OverCap: true })
        {
            return ServiceUnavailable(context, connection, http2);
        }

        if (connection is not null)
        {
            var number = connection.OnRequestStarted(http2);
            if (options.MaxRequestsPerConnection is { } maxRequests)
            {
                if (number > maxRequests)
                {
                    // HTTP/2 streams the client sent before it read the GOAWAY; HTTP/1.1 never gets here (the last
                    // response closed the connection).
                    connection.OnRequestEnded();
                    Refuse(context, http2, "max_requests_per_connection");
                    return Task.CompletedTask;
                }

                if (number == maxRequests)
                {
                    if (http2)
                    {
                        connection.RequestClose("max_requests_per_connection");
                    }
                    else
                    {
                        context.Response.Headers.Connection = "close";
                        OnConnectionClosedByLimit(context, "max_requests_per_connection");
                    }
                }
            }
        }

        if (options.RateLimit is { } rateLimit
            && !_rateLimiter.TryAcquire(rateLimit, context.Connection.RemoteIpAddress, out var retryAfter))
        {
            connection?.OnRequestEnded();
            RejectRateLimited(context, rateLimit, retryAfter);
            return Task.CompletedTask;
        }

        if (options.MaxRequestBodySize is { } maxBody
            && context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodySize)
        {
            // Set before routing: an endpoint's [RequestSizeLimit] is applied later and wins.
            bodySize.MaxRequestBodySize = maxBody;
        }

        if (options.MinRequestBodyDataRate is { } rate)
        {
            ApplyDataRate(context, rate, http2);
        }

        var counted = false;
        if (options.MaxConcurrentRequests is { } maxConcurrent)
        {
            if (Interlocked.Increment(ref _inFlight) > maxConcurrent)
            {
                Interlocked.Decrement(ref _inFlight);
                connection?.OnRequestEnded();
                Throttle(context, http2, maxConcurrent);
                return Task.CompletedTask;
            }

            counted = true;
        }

        if (!counted && connection is null)
        {
            return next(context);
        }

        Task task;
        try
        {
            task = next(context);
        }
        catch
        {
            End(counted, connection);
            throw;
        }

        if (task.IsCompleted)
        {
            End(counted, connection);
            return task;
        }

        return AwaitThenEndAsync(task, counted, connection);
    }

    private async Task AwaitThenEndAsync(Task task, bool counted, ConnectionLimits? connection)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        finally
        {
            End(counted, connection);
        }
    }

    private void End(bool counted, ConnectionLimits? connection)
    {
        if (counted)
        {
            Interlocked.Decrement(ref _inFlight);
        }

        connection?.OnRequestEnded();
    }

    private void ApplyDataRate(HttpContext context, ListenerDataRate rate, bool http2)
    {
        if (http2 || HttpProtocol.IsHttp3(context.Request.Protocol))
        {
            // Kestrel throws NotSupportedException for a per-request rate on HTTP/2 (Http2Stream): its server-wide rate applies.
            if (Interlocked.Exchange(ref _http2RateNoted, 1) == 0)
            {
                RoadrunnerLog.MinDataRateNotOnHttp2(_diagnostics.ListenersLogger, _listener.Name);
            }

            return;
        }

        if (context.Features.Get<IHttpMinRequestBodyDataRateFeature>() is { } feature)
        {
            var cache = _dataRate;
            if (cache is null || cache.Source != rate)
            {
                cache = new DataRateCache(rate with { }, new MinDataRate(rate.BytesPerSecond, rate.GracePeriod));
                _dataRate = cache;
            }

            feature.MinDataRate = cache.Rate;
        }
    }

    private Task ServiceUnavailable(HttpContext context, ConnectionLimits connection, bool http2)
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

    private void Throttle(HttpContext context, bool http2, int maxConcurrent)
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
            RoadrunnerLog.RequestsThrottled(_diagnostics.ListenersLogger, _listener.Name, count, (int)LogInterval.TotalSeconds, maxConcurrent);
        }
    }

    /// <summary>HTTP/2: REFUSED_STREAM (the client may retry it); HTTP/1.1: 503 with Retry-After.</summary>
    private void Refuse(HttpContext context, bool http2, string reason)
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

    private void RejectRateLimited(HttpContext context, ListenerRateLimit limit, TimeSpan retryAfter)
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
                _diagnostics.ListenersLogger, _listener.Name, count, (int)LogInterval.TotalSeconds, limit.PermitsPerSecond, limit.Burst, context.Connection.RemoteIpAddress?.ToString());
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

    private void OnConnectionClosedByLimit(HttpContext context, string reason)
    {
        var connectionId = context.Connection.Id;
        var remote = context.Connection.RemoteIpAddress is { } ip ? new System.Net.IPEndPoint(ip, context.Connection.RemotePort) : null;
        Report(connectionId, remote, reason);
    }

    /// <summary>A connection is being closed by one of the connection-scoped limits: count, raise, summarise.</summary>
    public void OnConnectionClosedByLimit(ConnectionContext connection, string reason) =>
        Report(connection.ConnectionId, connection.RemoteEndPoint, reason);

    private void Report(string connectionId, System.Net.EndPoint? remote, string reason)
    {
        _diagnostics.Metrics.ConnectionLimitClosed(_listener.Name, reason);
        _diagnostics.Write(
            RoadrunnerEvents.ConnectionLimitClosed,
            (_listener.Name, connectionId, remote, reason),
            static s => new ConnectionLimitClosedEvent(s.Name, s.connectionId, s.remote, s.reason));

        if (!_closedLogs.TryGetValue(reason, out var throttle))
        {
            return;
        }

        bool report;
        int count;
        lock (throttle)
        {
            report = throttle.TryReport(out count);
        }

        // Slow headers and idle over-cap connections are what an operator acts on; the others are the limits working.
        var level = reason is "request_headers_timeout" or "max_connections_idle" ? LogLevel.Warning : LogLevel.Debug;
        if (report && _diagnostics.ListenersLogger.IsEnabled(level))
        {
            var description = Describe(reason);
            RoadrunnerLog.ConnectionsLimitClosed(_diagnostics.ListenersLogger, level, _listener.Name, count, (int)LogInterval.TotalSeconds, description);
        }
    }

    private static string Describe(string reason) => reason switch
    {
        "keep_alive_timeout" => "idle past KeepAliveTimeout (closed gracefully)",
        "request_headers_timeout" => "request headers not received within RequestHeadersTimeout (slow or stalled clients; closed without a response)",
        "max_requests_per_connection" => "MaxRequestsPerConnection reached (last response with Connection: close, or GOAWAY)",
        _ => "over MaxConnections and no request within 5 s (closed without a response)",
    };

    public void Dispose() => _rateLimiter.Dispose();

    private sealed class DataRateCache(ListenerDataRate source, MinDataRate rate)
    {
        public ListenerDataRate Source { get; } = source;

        public MinDataRate Rate { get; } = rate;
    }
}
