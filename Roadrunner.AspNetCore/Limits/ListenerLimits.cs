using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Roadrunner.AspNetCore.Diagnostics;
using Roadrunner.AspNetCore.Listeners;

namespace Roadrunner.AspNetCore.Limits;

/// <summary>
/// A listener's request-side limits, applied in Roadrunner's first middleware: the connection-cap 503, requests per
/// connection, the per-client-IP rate limit, the body size and data rate handed to Kestrel, and the in-flight cap. Every
/// value is read from <see cref="RuntimeListener.Options"/> per request, so options swapped at runtime apply to the next
/// request. A listener with no limit set pays one check of its options; only a listener that counts in-flight requests
/// (<see cref="ListenerOptions.MaxConcurrentRequests"/>, or a connection-scoped limit) waits for the pipeline to return,
/// and only when the pipeline does not complete at once. This class decides; the answers to refused requests are
/// <see cref="RequestRefusals"/>, the reports of connections closed by a limit <see cref="ConnectionLimitCloseReporter"/>.
/// </summary>
internal sealed class ListenerLimits : IDisposable
{
    private static readonly TimeSpan LogInterval = TimeSpan.FromSeconds(10);

    private readonly RuntimeListener _listener;
    private readonly RoadrunnerDiagnostics _diagnostics;
    private readonly TimeProvider _time;
    private readonly ListenerRateLimiter _rateLimiter;
    private readonly RequestRefusals _refusals;
    private readonly ConnectionLimitCloseReporter _closeReporter;
    private volatile DataRateCache? _dataRate;
    private PaddedCounter _inFlight;
    private int _http2RateNoted;

    public ListenerLimits(RuntimeListener listener, RoadrunnerDiagnostics diagnostics, TimeProvider time)
    {
        _listener = listener;
        _diagnostics = diagnostics;
        _time = time;
        _rateLimiter = new ListenerRateLimiter(time);
        _refusals = new RequestRefusals(listener, diagnostics, time, LogInterval);
        _closeReporter = new ConnectionLimitCloseReporter(listener, diagnostics, time, LogInterval);
    }

    /// <summary>Requests refused because <see cref="ListenerOptions.MaxConcurrentRequests"/> were in flight.</summary>
    public long Throttled => _refusals.Throttled;

    /// <summary>Requests answered 429 by the rate limit.</summary>
    public long RateLimited => _refusals.RateLimited;

    /// <summary>Requests in flight, counted while <see cref="ListenerOptions.MaxConcurrentRequests"/> is set.</summary>
    public int InFlight => (int)_inFlight.Value;

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
            return _refusals.ServiceUnavailable(context, connection, http2);
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
                    _refusals.Refuse(context, http2, "max_requests_per_connection");
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
                        _closeReporter.Closed(context, "max_requests_per_connection");
                    }
                }
            }
        }

        if (options.RateLimit is { } rateLimit
            && !_rateLimiter.TryAcquire(rateLimit, context.Connection.RemoteIpAddress, out var retryAfter))
        {
            connection?.OnRequestEnded();
            _refusals.RejectRateLimited(context, rateLimit, retryAfter);
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
            if (_inFlight.Increment() > maxConcurrent)
            {
                _inFlight.Decrement();
                connection?.OnRequestEnded();
                _refusals.Throttle(context, http2, maxConcurrent);
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
            _inFlight.Decrement();
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

    /// <summary>A connection is being closed by one of the connection-scoped limits: count, raise, summarise.</summary>
    public void OnConnectionClosedByLimit(ConnectionContext connection, string reason) =>
        _closeReporter.Closed(connection.ConnectionId, connection.RemoteEndPoint, reason);

    public void Dispose() => _rateLimiter.Dispose();

    private sealed class DataRateCache(ListenerDataRate source, MinDataRate rate)
    {
        public ListenerDataRate Source { get; } = source;

        public MinDataRate Rate { get; } = rate;
    }
}
