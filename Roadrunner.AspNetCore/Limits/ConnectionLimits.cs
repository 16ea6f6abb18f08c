using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Roadrunner.AspNetCore.Listeners;

namespace Roadrunner.AspNetCore.Limits;

/// <summary>
/// Per-connection state of the connection-scoped limits (<see cref="ListenerOptions.KeepAliveTimeout"/>,
/// <see cref="ListenerOptions.RequestHeadersTimeout"/>, <see cref="ListenerOptions.MaxRequestsPerConnection"/>) and of a
/// connection admitted over the cap to be answered 503. Created at accept only when one of these applies, placed on the
/// connection's features (requests find it there), and driven by Kestrel's per-connection heartbeat (about once a
/// second): no timer per connection. The limits' values are read from the listener's current options at each tick.
/// </summary>
internal sealed class ConnectionLimits
{
    /// <summary>How long a connection admitted over the cap may take to send the request it is to be answered 503.</summary>
    public static readonly TimeSpan OverCapRequestTimeout = TimeSpan.FromSeconds(5);

    private const int Unknown = 0;
    private const int Http1 = 1;
    private const int Http2 = 2;

    private readonly RuntimeListener _listener;
    private readonly TimeProvider _time;
    private ConnectionContext? _connection;
    private int _protocol;
    private int _requests;
    private int _inFlight;
    private int _closed;

    // Timestamps (TimeProvider.GetTimestamp): the last moment the connection was known busy, and when the bytes of an
    // HTTP/1.1 request began arriving on an idle connection (0: none are arriving).
    private long _lastActivity;
    private long _receivingSince;

    public ConnectionLimits(RuntimeListener listener, TimeProvider time, bool overCap)
    {
        _listener = listener;
        _time = time;
        OverCap = overCap;
        _protocol = listener.Options.Protocols switch
        {
            ListenerProtocols.Http1 => Http1,
            ListenerProtocols.Http2 => Http2,
            _ => Unknown, // TLS with ALPN: known after the handshake.
        };
        _lastActivity = time.GetTimestamp();
    }

    /// <summary>Admitted over <see cref="ListenerOptions.MaxConnections"/> with <see cref="MaxConnectionsBehavior.ServiceUnavailable"/>.</summary>
    public bool OverCap { get; }

    /// <summary>Whether connections opened now need this state.</summary>
    public static bool IsNeeded(ListenerOptions options) =>
        options.KeepAliveTimeout is not null || options.RequestHeadersTimeout is not null || options.MaxRequestsPerConnection is not null;

    /// <summary>Called by the connection middleware when Kestrel picks the connection up.</summary>
    public void Attach(ConnectionContext connection)
    {
        _connection = connection;
        Volatile.Write(ref _lastActivity, _time.GetTimestamp());
        var options = _listener.Options;
        if (!OverCap && options.KeepAliveTimeout is null && options.RequestHeadersTimeout is null)
        {
            return; // MaxRequestsPerConnection alone needs no heartbeat.
        }

        if (!OverCap)
        {
            // Outside TLS (this middleware runs before UseHttps): any byte, handshake included, is activity.
            connection.Transport = new ActivityDuplexPipe(connection.Transport, this);
        }

        connection.Features.Get<IConnectionHeartbeatFeature>()?.OnHeartbeat(static state => ((ConnectionLimits)state).OnHeartbeat(), this);
    }

    /// <summary>A request of this connection reached the first middleware; returns its number on the connection (1, 2, ...).</summary>
    public int OnRequestStarted(bool http2)
    {
        Volatile.Write(ref _protocol, http2 ? Http2 : Http1);
        Interlocked.Increment(ref _inFlight);
        Volatile.Write(ref _receivingSince, 0);
        return Interlocked.Increment(ref _requests);
    }

    /// <summary>The request's pipeline has returned (its response is complete or being completed by Kestrel).</summary>
    public void OnRequestEnded()
    {
        Volatile.Write(ref _lastActivity, _time.GetTimestamp());
        Interlocked.Decrement(ref _inFlight);
        Volatile.Write(ref _receivingSince, 0);
    }

    /// <summary>Called by <see cref="ActivityPipeReader"/> for each completed read of the connection's input.</summary>
    public void OnBytesReceived()
    {
        var now = _time.GetTimestamp();
        if (Volatile.Read(ref _protocol) == Http2)
        {
            // HTTP/2 frames between streams (PING, SETTINGS, WINDOW_UPDATE) keep the connection alive; headers come whole.
            Volatile.Write(ref _lastActivity, now);
            return;
        }

        if (Volatile.Read(ref _inFlight) == 0 && Volatile.Read(ref _receivingSince) == 0)
        {
            Volatile.Write(ref _receivingSince, now);
        }
    }

    /// <summary>Asks Kestrel to close the connection gracefully (HTTP/1.1: after the response in flight; HTTP/2: GOAWAY).</summary>
    public void RequestClose(string reason)
    {
        if (Interlocked.Exchange(ref _closed, 1) == 0 && _connection is { } connection)
        {
            connection.Features.Get<IConnectionLifetimeNotificationFeature>()?.RequestClose();
            _listener.Limits.OnConnectionClosedByLimit(connection, reason);
        }
    }

    private void Abort(string reason, string message)
    {
        if (Interlocked.Exchange(ref _closed, 1) == 0 && _connection is { } connection)
        {
            connection.Abort(new ConnectionAbortedException(message));
            _listener.Limits.OnConnectionClosedByLimit(connection, reason);
        }
    }

    private void OnHeartbeat()
    {
        if (Volatile.Read(ref _closed) != 0)
        {
            return;
        }

        if (OverCap)
        {
            if (Volatile.Read(ref _requests) == 0 && Elapsed(Volatile.Read(ref _lastActivity)) >= OverCapRequestTimeout)
            {
                Abort("max_connections_idle", "The connection was over the listener's cap and sent no request in time.");
            }

            return;
        }

        if (Volatile.Read(ref _protocol) == Unknown)
        {
            ResolveProtocol();
        }

        if (Volatile.Read(ref _inFlight) > 0)
        {
            return;
        }

        var options = _listener.Options;
        var receiving = Volatile.Read(ref _receivingSince);
        if (receiving != 0)
        {
            if (options.RequestHeadersTimeout is { } headersTimeout && Volatile.Read(ref _protocol) != Http2 && Elapsed(receiving) >= headersTimeout)
            {
                // Kestrel answers its own header timeout 408; its output cannot safely be written from here, so the
                // connection is closed without a response.
                Abort("request_headers_timeout", "The request headers were not received within the listener's RequestHeadersTimeout.");
            }

            return;
        }

        if (options.KeepAliveTimeout is { } keepAlive && Elapsed(Volatile.Read(ref _lastActivity)) >= keepAlive)
        {
            RequestClose("keep_alive_timeout");
        }
    }

    private void ResolveProtocol()
    {
        if (_connection?.Features.Get<Microsoft.AspNetCore.Server.Kestrel.Core.Features.ITlsApplicationProtocolFeature>() is { } alpn)
        {
            var http2 = alpn.ApplicationProtocol.Span.SequenceEqual("h2"u8);
            Volatile.Write(ref _protocol, http2 ? Http2 : Http1);
            if (http2)
            {
                Volatile.Write(ref _receivingSince, 0); // The handshake's bytes are not a request arriving.
            }
        }
    }

    private TimeSpan Elapsed(long since) => _time.GetElapsedTime(since);
}
