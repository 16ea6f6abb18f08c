using System.Collections.Concurrent;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;

namespace Roadrunner.AspNetCore.Listeners;

/// <summary>
/// The open connections of one listener, like Kestrel's <c>TransportConnectionManager</c>: track, count, ask all
/// to close, abort all, and wait until none is left. Closes are counted as graceful or forced when they happen,
/// so a drain reports what it measured.
/// </summary>
internal sealed class ConnectionRegistry
{
    // An abort costs tens of microseconds; below this many, spreading them over threads costs more than it saves.
    private const int ParallelAbortThreshold = 256;

    // The accept loop adds and every closing connection removes: more lock stripes than the default (one per
    // core) keep the two from contending under connection churn.
    private readonly ConcurrentDictionary<TrackedConnection, byte> _connections =
        new(concurrencyLevel: Environment.ProcessorCount * 8, capacity: 31, ReferenceEqualityComparer.Instance);
    private TaskCompletionSource? _emptyWaiter;
    private int _count;
    private long _gracefulCloses;
    private long _forcedCloses;

    public int Count => Volatile.Read(ref _count);

    /// <summary>Connections that have closed without being cut, since the listener started.</summary>
    public long GracefulCloses => Interlocked.Read(ref _gracefulCloses);

    /// <summary>Connections that were cut (drain deadline, server shutdown), since the listener started.</summary>
    public long ForcedCloses => Interlocked.Read(ref _forcedCloses);

    public void Add(TrackedConnection connection)
    {
        Interlocked.Increment(ref _count);
        _connections.TryAdd(connection, 0);
    }

    /// <summary>Forgets a closed connection; <paramref name="wasLast"/> tells whether none is left.</summary>
    /// <returns><see langword="false"/> when the connection was not tracked (already removed).</returns>
    public bool Remove(TrackedConnection connection, out bool wasLast)
    {
        wasLast = false;
        if (!_connections.TryRemove(connection, out _))
        {
            return false;
        }

        Interlocked.Increment(ref connection.WasForced ? ref _forcedCloses : ref _gracefulCloses);
        if (Interlocked.Decrement(ref _count) == 0)
        {
            wasLast = true;
            Volatile.Read(ref _emptyWaiter)?.TrySetResult();
        }

        return true;
    }

    /// <summary>
    /// Completes when no connection is left. Only meaningful once nothing is added any more (the accept loop has
    /// ended), because an empty registry could otherwise fill again.
    /// </summary>
    public Task WhenEmpty()
    {
        var waiter = Volatile.Read(ref _emptyWaiter);
        if (waiter is null)
        {
            var created = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            waiter = Interlocked.CompareExchange(ref _emptyWaiter, created, null) ?? created;
        }

        if (Count == 0)
        {
            waiter.TrySetResult();
        }

        return waiter.Task;
    }

    /// <summary>
    /// Asks every connection to finish: idle HTTP/1.1 closes, busy HTTP/1.1 ends with <c>Connection: close</c>,
    /// HTTP/2 sends GOAWAY. Connections not yet picked up by Kestrel do this when it starts them.
    /// </summary>
    public void RequestCloseAll()
    {
        foreach (var (connection, _) in _connections)
        {
            connection.Features.Get<IConnectionLifetimeNotificationFeature>()?.RequestClose();
        }
    }

    /// <summary>Cuts every connection left, spread over the cores (each is a socket shutdown and close).</summary>
    /// <returns>The connections that were cut.</returns>
    public ICollection<TrackedConnection> ForceAll(ConnectionAbortedException reason)
    {
        var survivors = _connections.Keys;
        if (survivors.Count < ParallelAbortThreshold)
        {
            foreach (var connection in survivors)
            {
                connection.Force(reason);
            }
        }
        else
        {
            Parallel.ForEach(survivors, connection => connection.Force(reason));
        }

        return survivors;
    }
}
