using System.Net;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.AspNetCore.Connections;

namespace Roadrunner.AspNetCore.Transport;

/// <summary>
/// The <see cref="IConnectionListener"/> Kestrel binds for one placeholder endpoint. Runtime listeners
/// push the connections they accept from their own sockets into it; Kestrel's accept loop reads them.
/// </summary>
internal sealed class ConnectionMultiplexer : IConnectionListener
{
    private readonly Channel<ConnectionContext> _connections = Channel.CreateUnbounded<ConnectionContext>(
        new UnboundedChannelOptions { SingleReader = true, SingleWriter = false });

    private int _bound;

    public ConnectionMultiplexer(RoadrunnerEndPoint endPoint)
    {
        EndPoint = endPoint;
    }

    public EndPoint EndPoint { get; }

    /// <summary>
    /// Whether Kestrel has bound this endpoint and reads from it. It does not under TestServer, nor when
    /// PreferHostingUrls makes Kestrel serve only the server URLs: connections queued here would never be served.
    /// </summary>
    public bool IsBound => Volatile.Read(ref _bound) == 1;

    /// <summary>Called when Kestrel binds the endpoint.</summary>
    public void MarkBound() => Volatile.Write(ref _bound, 1);

    /// <summary>Raised for each connection that was queued but never handed to Kestrel (server stopped first).</summary>
    public event Action<ConnectionContext>? Dropped;

    /// <summary>Queues a connection for Kestrel; <see langword="false"/> once Kestrel has unbound.</summary>
    public bool TryEnqueue(ConnectionContext connection) => _connections.Writer.TryWrite(connection);

    public ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default) =>
        _connections.Reader.TryRead(out var connection)
            ? ValueTask.FromResult<ConnectionContext?>(connection)
            : WaitAndAcceptAsync(cancellationToken);

    // Kestrel's accept loop waits here whenever no connection is queued: pool the state machine.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ConnectionContext?> WaitAndAcceptAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (await _connections.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                if (_connections.Reader.TryRead(out var connection))
                {
                    return connection;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }

        // Kestrel ends its accept loop on null: the server is unbinding this endpoint.
        return null;
    }

    public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
    {
        Volatile.Write(ref _bound, 0);
        _connections.Writer.TryComplete();
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        Volatile.Write(ref _bound, 0);
        _connections.Writer.TryComplete();
        while (_connections.Reader.TryRead(out var orphan))
        {
            Dropped?.Invoke(orphan);
        }

        return ValueTask.CompletedTask;
    }
}
