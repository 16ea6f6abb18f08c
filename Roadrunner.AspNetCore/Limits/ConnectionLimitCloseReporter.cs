using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Roadrunner.AspNetCore.Diagnostics;
using Roadrunner.AspNetCore.Listeners;

namespace Roadrunner.AspNetCore.Limits;

/// <summary>
/// Reports connections a listener's connection-scoped limits close (keep-alive timeout, request headers timeout,
/// requests per connection, idle over the cap): the metric and event for each, and one summary log per reason and
/// interval (a flood of closes becomes a count). Separate from <see cref="ListenerLimits"/>, whose per-request path
/// decides, because this bookkeeping runs only when a connection is closed by a limit.
/// </summary>
internal sealed class ConnectionLimitCloseReporter
{
    private readonly RuntimeListener _listener;
    private readonly RoadrunnerDiagnostics _diagnostics;
    private readonly TimeSpan _logInterval;
    private readonly Dictionary<string, LogThrottle> _closedLogs;

    public ConnectionLimitCloseReporter(RuntimeListener listener, RoadrunnerDiagnostics diagnostics, TimeProvider time, TimeSpan logInterval)
    {
        _listener = listener;
        _diagnostics = diagnostics;
        _logInterval = logInterval;
        _closedLogs = new Dictionary<string, LogThrottle>(StringComparer.Ordinal)
        {
            ["keep_alive_timeout"] = new(time, logInterval),
            ["request_headers_timeout"] = new(time, logInterval),
            ["max_requests_per_connection"] = new(time, logInterval),
            ["max_connections_idle"] = new(time, logInterval),
        };
    }

    /// <summary>The request's connection is closed by a limit once its response is sent (HTTP/1.1 Connection: close).</summary>
    public void Closed(HttpContext context, string reason)
    {
        var connectionId = context.Connection.Id;
        var remote = context.Connection.RemoteIpAddress is { } ip ? new System.Net.IPEndPoint(ip, context.Connection.RemotePort) : null;
        Closed(connectionId, remote, reason);
    }

    /// <summary>A connection is being closed by one of the connection-scoped limits: count, raise, summarise.</summary>
    public void Closed(string connectionId, System.Net.EndPoint? remote, string reason)
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
            RoadrunnerLog.ConnectionsLimitClosed(_diagnostics.ListenersLogger, level, _listener.Name, count, (int)_logInterval.TotalSeconds, description);
        }
    }

    private static string Describe(string reason) => reason switch
    {
        "keep_alive_timeout" => "idle past KeepAliveTimeout (closed gracefully)",
        "request_headers_timeout" => "request headers not received within RequestHeadersTimeout (slow or stalled clients; closed without a response)",
        "max_requests_per_connection" => "MaxRequestsPerConnection reached (last response with Connection: close, or GOAWAY)",
        _ => "over MaxConnections and no request within 5 s (closed without a response)",
    };
}
