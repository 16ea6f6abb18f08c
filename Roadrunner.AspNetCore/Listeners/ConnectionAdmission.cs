using System.Net;
using System.Net.Sockets;
using Roadrunner.AspNetCore.Diagnostics;
using Roadrunner.AspNetCore.Transport;

namespace Roadrunner.AspNetCore.Listeners;

/// <summary>
/// What happens to a socket a listener's accept loop has just accepted: over the connection cap it is closed without
/// a byte (counted, summarised in the log, raised as an event); otherwise it becomes a tracked connection queued for Kestrel.
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
    private long _rejected;
    private int _overCapOpen;

    /// <summary>Connections closed at once because the cap was reached.</summary>
    public long Rejected => Interlocked.Read(ref _rejected);

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
