using System.Net;
using System.Net.Sockets;
using Roadrunner.AspNetCore.Diagnostics;
using Roadrunner.AspNetCore.Transport;
using Roadrunner.AspNetCore.Transport.ProxyProtocol;

namespace Roadrunner.AspNetCore.Listeners;

/// <summary>
/// What happens to a socket a listener's accept loop has just accepted: over the connection cap it is closed without
/// a byte (counted, summarised in the log, raised as an event); otherwise it becomes a tracked connection queued for Kestrel.
/// With the PROXY protocol on, the connection is queued only once its header has been read: at once when the header is
/// already buffered (no timer, no task), otherwise on the connection's own task, so a slow or silent peer never holds
/// up the accept loop.
/// </summary>
internal sealed class ConnectionAdmission(
    RuntimeListener listener,
    ConnectionMultiplexer multiplexer,
    SocketFactoryHolder sockets,
    RoadrunnerDiagnostics diagnostics,
    TimeProvider timeProvider)
{
    private readonly RuntimeListener _listener = listener;
    private readonly ConnectionMultiplexer _multiplexer = multiplexer;
    private readonly SocketFactoryHolder _sockets = sockets;
    private readonly RoadrunnerDiagnostics _diagnostics = diagnostics;
    private readonly LogThrottle _rejectionLog = new(timeProvider, TimeSpan.FromSeconds(10));
    private readonly TimeProvider _timeProvider = timeProvider;
    private readonly ProxyProtocolMode _proxyProtocol = listener.Options.ProxyProtocol;
    private readonly TrustedProxyList? _trustedProxies = listener.Options.ProxyProtocol == ProxyProtocolMode.Off ? null : TrustedProxyList.Create(listener.Options.TrustedProxies);
    private readonly TimeSpan _headerTimeout = listener.Options.ProxyProtocolHeaderTimeout ?? ProxyProtocolReader.DefaultHeaderTimeout;
    private readonly LogThrottle _proxyRejectionLog = new(timeProvider, TimeSpan.FromSeconds(10));
    private readonly Lock _proxyRejectionLogLock = new();
    private long _rejected;
    private int _overCapOpen;
    private long _proxyRejected;

    /// <summary>Connections closed at once because the cap was reached.</summary>
    public long Rejected => Interlocked.Read(ref _rejected);

    /// <summary>Connections closed because of their PROXY protocol header (or its absence).</summary>
    public long ProxyProtocolRejected => Interlocked.Read(ref _proxyRejected);

    /// <summary>Called by the accept loop, which alone adds connections: check-then-add cannot overshoot the cap.</summary>
    public void Admit(Socket socket)
    {
        var options = _listener.Options;
        var overCap = false;
        if (options.MaxConnections is { } max && _listener.Connections.Count - Volatile.Read(ref _overCapOpen) >= max)
        {
            // ServiceUnavailable admits a bounded number over the cap, each to be answered 503; past that, as Close.
            if (options.MaxConnectionsBehavior != MaxConnectionsBehavior.ServiceUnavailable || Volatile.Read(ref _overCapOpen) >= OverCapLimit(max))
            {
                Reject(socket, max);
                return;
            }

            overCap = true;
            Interlocked.Increment(ref _overCapOpen);
            CountServiceUnavailable(socket, max);
        }

        if (_proxyProtocol != ProxyProtocolMode.Off && _trustedProxies is { } trusted && !trusted.Contains(socket.RemoteEndPoint))
        {
            // Refused before anything is read: whatever this peer would send is not to be believed.
            RejectProxyProtocol(socket.RemoteEndPoint, ProxyProtocolRejection.Untrusted);
            CloseWithoutAByte(socket);
            return;
        }

        if (socket.LocalEndPoint is IPEndPoint)
        {
            socket.NoDelay = _sockets.Options.NoDelay;
        }

        var limits = _listener.Limits.ForNewConnection(overCap);
        var connection = new TrackedConnection(_sockets.Factory.Create(socket), _listener) { Limits = limits };
        connection.Features.Set<IRoadrunnerListenerFeature>(_listener);
        if (limits is not null)
        {
            connection.Features.Set(limits);
        }
        _listener.Connections.Add(connection);
        _diagnostics.Metrics.ConnectionOpened(_listener.Name);

        if (_proxyProtocol != ProxyProtocolMode.Off)
        {
            var peer = connection.RemoteEndPoint;
            bool decided;
            ProxyProtocolRejection? rejection;
            try
            {
                decided = ProxyProtocolReader.TryReadBuffered(connection, _proxyProtocol, out rejection);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                (decided, rejection) = (true, ProxyProtocolRejection.Incomplete);
            }

            if (!decided)
            {
                _ = ReadProxyHeaderThenEnqueueAsync(connection, peer);
            }
            else if (rejection is { } reason)
            {
                _ = RejectAndCloseAsync(connection, peer, reason);
            }
            else
            {
                Enqueue(connection); // The header was in already: no task, no timer.
            }

            return;
        }

        Enqueue(connection);
    }

    private async Task ReadProxyHeaderThenEnqueueAsync(TrackedConnection connection, EndPoint? peer)
    {
        ProxyProtocolRejection? rejection;
        try
        {
            rejection = await ProxyProtocolReader.ReadAsync(connection, _proxyProtocol, _headerTimeout, _timeProvider).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Whatever went wrong, the connection must not stay open and tracked with nobody serving it.
            rejection = ProxyProtocolRejection.Incomplete;
        }

        if (rejection is { } reason)
        {
            await RejectAndCloseAsync(connection, peer, reason).ConfigureAwait(false);
            return;
        }

        Enqueue(connection);
    }

    private async Task RejectAndCloseAsync(TrackedConnection connection, EndPoint? peer, ProxyProtocolRejection reason)
    {
        RejectProxyProtocol(peer, reason);

        // Dispose completes both pipes and closes the socket without a byte written, then untracks the connection.
        await connection.DisposeAsync().ConfigureAwait(false);
    }

    private void Enqueue(TrackedConnection connection)
    {
        if (!_multiplexer.TryEnqueue(connection))
        {
            // Kestrel has unbound (the server is stopping): nobody will serve this connection.
            _ = connection.DisposeAsync().AsTask();
        }
    }

    /// <summary>How many connections over the cap may wait for their 503 at once: the cap itself, and never more than 1,000.</summary>
    public static int OverCapLimit(int maxConnections) => Math.Min(maxConnections, 1000);

    /// <summary>A connection admitted over the cap (to be answered 503) has closed.</summary>
    public void OnOverCapClosed() => Interlocked.Decrement(ref _overCapOpen);

    private void CountServiceUnavailable(Socket socket, int maxConnections)
    {
        Interlocked.Increment(ref _rejected);
        _diagnostics.Metrics.ConnectionRejected(_listener.Name);
        if (_rejectionLog.TryReport(out var count))
        {
            RoadrunnerLog.ConnectionsServiceUnavailable(_diagnostics.TransportLogger, _listener.Name, maxConnections, count, (int)_rejectionLog.Interval.TotalSeconds, OverCapLimit(maxConnections));
        }

        _diagnostics.Write(
            RoadrunnerEvents.ConnectionRejected,
            (_listener.Name, socket.RemoteEndPoint),
            static s => new ConnectionRejectedEvent(s.Name, s.RemoteEndPoint, "max_connections_503"));
    }

    private void Reject(Socket socket, int maxConnections)
    {
        Interlocked.Increment(ref _rejected);
        _diagnostics.Metrics.ConnectionRejected(_listener.Name);
        var remote = socket.RemoteEndPoint;
        if (_rejectionLog.TryReport(out var count))
        {
            RoadrunnerLog.ConnectionsRejected(_diagnostics.TransportLogger, _listener.Name, maxConnections, count, (int)_rejectionLog.Interval.TotalSeconds);
        }

        _diagnostics.Write(
            RoadrunnerEvents.ConnectionRejected,
            (_listener.Name, remote),
            static s => new ConnectionRejectedEvent(s.Name, s.remote, "max_connections"));

        CloseWithoutAByte(socket);
    }

    private void RejectProxyProtocol(EndPoint? peer, ProxyProtocolRejection reason)
    {
        Interlocked.Increment(ref _proxyRejected);
        var name = ProxyProtocolRejections.Name(reason);
        _diagnostics.Metrics.ProxyProtocolRejected(_listener.Name, name);
        int count;
        bool report;
        lock (_proxyRejectionLogLock)
        {
            report = _proxyRejectionLog.TryReport(out count);
        }

        if (report)
        {
            RoadrunnerLog.ProxyProtocolRejected(_diagnostics.TransportLogger, _listener.Name, count, (int)_proxyRejectionLog.Interval.TotalSeconds, name, peer?.ToString() ?? "unknown", _proxyProtocol);
        }

        _diagnostics.Write(
            RoadrunnerEvents.ProxyProtocolRejected,
            (_listener.Name, peer, name),
            static s => new ProxyProtocolRejectedEvent(s.Name, s.peer, s.name));
    }

    private static void CloseWithoutAByte(Socket socket)
    {
        // A FIN without a byte: the client reads end-of-stream.
        try
        {
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
        }

        socket.Dispose();
    }
}
