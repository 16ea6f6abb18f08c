using System.IO.Pipelines;
using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Features;

namespace Roadrunner.AspNetCore.Listeners;

/// <summary>
/// A listener's connection as Kestrel sees it: the socket connection, plus the two moments the listener must
/// know. Kestrel disposes a connection after its handlers are done, and the socket connection's dispose returns
/// once the socket is closed, so the end of <see cref="DisposeAsync"/> is "every byte is settled and the socket is
/// gone": the event that completes a drain. <see cref="Abort(ConnectionAbortedException)"/> records whether the
/// connection was cut (at a drain deadline, or by the server's own shutdown) rather than closed gracefully.
/// </summary>
internal sealed class TrackedConnection(ConnectionContext inner, RuntimeListener listener) : ConnectionContext
{
    private int _forced;
    private int _disposed;

    public RuntimeListener Listener => listener;

    /// <summary>The connection-scoped limits' state, when any applies (also on <see cref="Features"/>).</summary>
    public Limits.ConnectionLimits? Limits { get; init; }

    /// <summary>Whether the connection was cut rather than closed gracefully.</summary>
    public bool WasForced => Volatile.Read(ref _forced) == 1;

    public override string ConnectionId
    {
        get => inner.ConnectionId;
        set => inner.ConnectionId = value;
    }

    public override IFeatureCollection Features => inner.Features;

    public override IDictionary<object, object?> Items
    {
        get => inner.Items;
        set => inner.Items = value;
    }

    public override IDuplexPipe Transport
    {
        get => inner.Transport;
        set => inner.Transport = value;
    }

    public override CancellationToken ConnectionClosed
    {
        get => inner.ConnectionClosed;
        set => inner.ConnectionClosed = value;
    }

    public override EndPoint? LocalEndPoint
    {
        get => inner.LocalEndPoint;
        set => inner.LocalEndPoint = value;
    }

    public override EndPoint? RemoteEndPoint
    {
        get => inner.RemoteEndPoint;
        set => inner.RemoteEndPoint = value;
    }

    /// <summary>The drain deadline passed: cut the connection and count it as aborted.</summary>
    public void Force(ConnectionAbortedException reason)
    {
        Volatile.Write(ref _forced, 1);
        inner.Abort(reason);
    }

    public override void Abort(ConnectionAbortedException abortReason)
    {
        // Kestrel aborts what is left once the host's ShutdownTimeout has run out; that is a cut, not a graceful close.
        if (listener.IsHostStopForced)
        {
            Volatile.Write(ref _forced, 1);
        }

        inner.Abort(abortReason);
    }

    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        try
        {
            await inner.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // The peer may be gone already; the socket is closed either way.
        }
        finally
        {
            listener.OnConnectionClosed(this);
            await base.DisposeAsync().ConfigureAwait(false);
        }
    }
}
