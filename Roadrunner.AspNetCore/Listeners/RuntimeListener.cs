using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Roadrunner.AspNetCore.Diagnostics;
using Roadrunner.AspNetCore.Drain;
using Roadrunner.AspNetCore.Transport;

namespace Roadrunner.AspNetCore.Listeners;

/// <summary>
/// One named listener: its own listen socket, an accept loop that feeds Kestrel through the
/// multiplexer of its shape, its counters, the connections it tracks, and its drain state.
/// It is also the <see cref="IRoadrunnerListenerFeature"/> placed on each of its connections.
/// </summary>
internal sealed class RuntimeListener : IRoadrunnerListenerFeature
{
    private const int Starting = -1;

    // An abort costs tens of microseconds; below this many, spreading them over threads costs more than it saves.
    private const int ParallelAbortThreshold = 256;

    // The accept loop adds and every closing connection removes: more lock stripes than the default (one per
    // core) keep the two from contending under connection churn.
    private readonly ConcurrentDictionary<ConnectionContext, byte> _connections =
        new(concurrencyLevel: Environment.ProcessorCount * 8, capacity: 31, ReferenceEqualityComparer.Instance);
    private readonly ConnectionMultiplexer _multiplexer;
    private readonly RoadrunnerDiagnostics _diagnostics;
    private readonly TimeProvider _timeProvider;
    private readonly Action<RuntimeListener> _onRemoved;
    private readonly Lock _drainLock = new();
    private readonly X509Certificate2? _ownedCertificate;

    private IConnectionListener? _socket;
    private Task? _stopAccepting;
    private Task? _acceptLoop;
    private Task<DrainResult>? _drain;
    private TaskCompletionSource? _allClosed;
    private DrainSignal _signal;
    private int _state = Starting;
    private int _active;
    private int _acknowledgements;
    private int _socketDisposed;
    private int _stopClaimed;
    private long _requests;
    private long _rejected;

    public RuntimeListener(
        string name,
        ListenerOptions options,
        IPEndPoint requestedEndPoint,
        SslServerAuthenticationOptions? tlsOptions,
        X509Certificate2? ownedCertificate,
        ConnectionMultiplexer multiplexer,
        long sequence,
        RoadrunnerDiagnostics diagnostics,
        TimeProvider timeProvider,
        Action<RuntimeListener> onRemoved)
    {
        Name = name;
        Options = options;
        EndPoint = requestedEndPoint;
        TlsOptions = tlsOptions;
        _ownedCertificate = ownedCertificate;
        Sequence = sequence;
        _multiplexer = multiplexer;
        _diagnostics = diagnostics;
        _timeProvider = timeProvider;
        _onRemoved = onRemoved;
        _signal = new DrainSignal(this, diagnostics, timeProvider, previous: null);
    }

    public string Name { get; }

    string IRoadrunnerListenerFeature.ListenerName => Name;

    public ListenerOptions Options { get; }

    /// <summary>The requested endpoint until bound, then the real one.</summary>
    public IPEndPoint EndPoint { get; private set; }

    public SslServerAuthenticationOptions? TlsOptions { get; }

    /// <summary>Start order: higher is more recent.</summary>
    public long Sequence { get; }

    public DateTimeOffset StartedAt { get; private set; }

    /// <summary>Registered and visible: accepting or draining (not starting, not stopped).</summary>
    public bool IsVisible => Volatile.Read(ref _state) is (int)ListenerStatus.Accepting or (int)ListenerStatus.Draining;

    public ListenerStatus Status => Volatile.Read(ref _state) switch
    {
        (int)ListenerStatus.Draining => ListenerStatus.Draining,
        (int)ListenerStatus.Stopped => ListenerStatus.Stopped,
        _ => ListenerStatus.Accepting,
    };

    public int ActiveConnections => Volatile.Read(ref _active);

    /// <summary>The drain signal new requests of this listener get.</summary>
    public DrainSignal CurrentSignal => Volatile.Read(ref _signal);

    public ListenerInfo ToInfo() => new()
    {
        Name = Name,
        EndPoint = EndPoint,
        Scheme = TlsOptions is null ? "http" : "https",
        Protocols = Options.Protocols,
        Status = Status,
        ActiveConnections = ActiveConnections,
        MaxConnections = Options.MaxConnections,
        RequestsServed = Interlocked.Read(ref _requests),
        ConnectionsRejected = Interlocked.Read(ref _rejected),
        StartedAt = StartedAt,
    };

    /// <summary>Binds the listen socket. On failure nothing stays open.</summary>
    public async Task BindAsync(IConnectionListenerFactory socketFactory, CancellationToken cancellationToken)
    {
        try
        {
            _socket = await socketFactory.BindAsync(EndPoint, cancellationToken).ConfigureAwait(false);
        }
        catch (AddressInUseException ex)
        {
            throw new ListenerBindException(Name, EndPoint, addressInUse: true, ex);
        }
        catch (SocketException ex)
        {
            throw new ListenerBindException(Name, EndPoint, ex.SocketErrorCode == SocketError.AddressAlreadyInUse, ex);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new ListenerBindException(Name, EndPoint, addressInUse: false, ex);
        }

        EndPoint = (IPEndPoint)_socket.EndPoint;
    }

    /// <summary>Starts the accept loop; the socket is already bound, so connects succeed from here on.</summary>
    public void StartAccepting()
    {
        StartedAt = _timeProvider.GetUtcNow();
        Volatile.Write(ref _state, (int)ListenerStatus.Accepting);
        _acceptLoop = AcceptLoopAsync();
    }

    private async Task AcceptLoopAsync()
    {
        var socket = _socket!;
        var maxConnections = Options.MaxConnections ?? int.MaxValue;
        while (true)
        {
            ConnectionContext? connection;
            try
            {
                connection = await socket.AcceptAsync().ConfigureAwait(false);
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (Exception ex)
            {
                RoadrunnerLog.AcceptLoopFailed(_diagnostics.Logger, Name, ex);
                return;
            }

            if (connection is null)
            {
                return; // Unbound.
            }

            // Only this loop increments, so check-then-increment cannot overshoot the cap.
            if (Volatile.Read(ref _active) >= maxConnections)
            {
                Reject(connection, maxConnections);
                continue;
            }

            Interlocked.Increment(ref _active);
            _connections.TryAdd(connection, 0);
            connection.Features.Set<IRoadrunnerListenerFeature>(this);
            _diagnostics.Metrics.ConnectionOpened(Name);

            if (!_multiplexer.TryEnqueue(connection))
            {
                // Kestrel has unbound (the server is stopping): nobody will serve this connection.
                OnConnectionClosed(connection);
                _ = DisposeQuietlyAsync(connection);
            }
        }
    }

    private void Reject(ConnectionContext connection, int maxConnections)
    {
        Interlocked.Increment(ref _rejected);
        _diagnostics.Metrics.ConnectionRejected(Name);
        if (_diagnostics.Logger.IsEnabled(Microsoft.Extensions.Logging.LogLevel.Debug))
        {
            RoadrunnerLog.ConnectionRejected(_diagnostics.Logger, Name, connection.RemoteEndPoint?.ToString(), maxConnections);
        }

        _diagnostics.Write(
            RoadrunnerEvents.ConnectionRejected,
            (Name, connection.RemoteEndPoint),
            static s => new ConnectionRejectedEvent(s.Name, s.RemoteEndPoint, "max_connections"));

        // Disposing a socket connection shuts it down with a FIN: the client reads end-of-stream, no bytes.
        _ = DisposeQuietlyAsync(connection);
    }

    /// <summary>Called by the connection middleware when Kestrel starts processing a connection of this listener.</summary>
    public void OnConnectionStarted(ConnectionContext connection)
    {
        // A connection that was queued while a drain began missed the broadcast's RequestClose.
        if (Volatile.Read(ref _state) == (int)ListenerStatus.Draining)
        {
            connection.Features.Get<IConnectionLifetimeNotificationFeature>()?.RequestClose();
        }
    }

    /// <summary>Called once Kestrel is done with a connection (or it was dropped before reaching Kestrel).</summary>
    public void OnConnectionClosed(ConnectionContext connection)
    {
        if (!_connections.TryRemove(connection, out _))
        {
            return;
        }

        _diagnostics.Metrics.ConnectionClosed(Name);
        if (Interlocked.Decrement(ref _active) == 0)
        {
            var state = Volatile.Read(ref _state);
            if (state == (int)ListenerStatus.Draining)
            {
                Volatile.Read(ref _allClosed)?.TrySetResult();
            }
            else if (state == (int)ListenerStatus.Stopped)
            {
                DisposeSocketWhenIdle();
            }
        }
    }

    public void RecordRequest()
    {
        Interlocked.Increment(ref _requests);
        _diagnostics.Metrics.RequestReceived(Name);
    }

    public void RecordAcknowledgement() => Interlocked.Increment(ref _acknowledgements);

    /// <summary>Closes the listen socket (new connects are refused) and waits for the accept loop to end.</summary>
    private Task StopAcceptingAsync()
    {
        lock (_drainLock)
        {
            return _stopAccepting ??= UnbindAsync();
        }

        async Task UnbindAsync()
        {
            if (_socket is not null)
            {
                await _socket.UnbindAsync().ConfigureAwait(false);
            }

            if (_acceptLoop is not null)
            {
                await _acceptLoop.ConfigureAwait(false);
            }
        }
    }

    /// <summary>Of concurrent stops of this listener exactly one gets <see langword="true"/>.</summary>
    public bool TryClaimStop() => Interlocked.Exchange(ref _stopClaimed, 1) == 0;

    /// <summary>
    /// Stop without waiting: close the listen socket; open connections stay tracked until they close. A drain
    /// already running is left to finish (its port is already closed); the caller forgets the name either way.
    /// </summary>
    public async Task StopAsync()
    {
        await StopAcceptingAsync().ConfigureAwait(false);
        Interlocked.CompareExchange(ref _state, (int)ListenerStatus.Stopped, (int)ListenerStatus.Accepting);
        DisposeSocketWhenIdle();
    }

    /// <summary>Disposes a listener that never started (bind failed, or the name was taken).</summary>
    public ValueTask DisposeUnboundAsync()
    {
        _ownedCertificate?.Dispose();
        return _socket?.DisposeAsync() ?? ValueTask.CompletedTask;
    }

    /// <summary>Soft drain: fire the current generation's signal; later requests get a fresh one.</summary>
    public void NotifyDrain(DateTimeOffset deadline)
    {
        DrainSignal fired;
        lock (_drainLock)
        {
            if (_drain is not null)
            {
                return; // A hard drain has told everyone already.
            }

            fired = _signal;
            Volatile.Write(ref _signal, new DrainSignal(this, _diagnostics, _timeProvider, fired));
        }

        RoadrunnerLog.DrainNotified(_diagnostics.Logger, Name, deadline);
        _diagnostics.Write(
            RoadrunnerEvents.DrainNotified,
            (Name, deadline, ActiveConnections),
            static s => new DrainStartedEvent(s.Name, s.deadline, s.ActiveConnections));
        fired.Fire(deadline);
    }

    /// <summary>Drains the listener, or joins the drain already running.</summary>
    public Task<DrainResult> DrainAsync(TimeSpan timeout)
    {
        lock (_drainLock)
        {
            return _drain ??= RunDrainAsync(timeout);
        }
    }

    private async Task<DrainResult> RunDrainAsync(TimeSpan timeout)
    {
        var startTimestamp = _timeProvider.GetTimestamp();
        var deadline = _timeProvider.GetUtcNow() + timeout;

        // 1. Stop accepting before anyone is told, so no connection can slip in after the broadcast.
        await StopAcceptingAsync().ConfigureAwait(false);

        // 2. Draining becomes visible; connection closes from here on can complete the drain.
        var allClosed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _allClosed, allClosed);
        var acknowledgementsBefore = Volatile.Read(ref _acknowledgements);
        Interlocked.Exchange(ref _state, (int)ListenerStatus.Draining);
        var connectionsAtStart = Volatile.Read(ref _active);

        RoadrunnerLog.DrainStarted(_diagnostics.Logger, Name, connectionsAtStart, deadline);
        _diagnostics.Write(
            RoadrunnerEvents.DrainStarted,
            (Name, deadline, connectionsAtStart),
            static s => new DrainStartedEvent(s.Name, s.deadline, s.connectionsAtStart));

        // 3. Every request of every generation (soft drains included) learns the deadline.
        for (var signal = CurrentSignal; signal is not null; signal = signal.Previous)
        {
            signal.Fire(deadline);
        }

        // 4. Ask every connection to finish: idle HTTP/1.1 closes, busy HTTP/1.1 ends with Connection: close,
        //    HTTP/2 sends GOAWAY. Connections not yet in Kestrel do this in OnConnectionStarted.
        if (timeout > TimeSpan.Zero)
        {
            foreach (var (connection, _) in _connections)
            {
                connection.Features.Get<IConnectionLifetimeNotificationFeature>()?.RequestClose();
            }
        }

        // 5. Event-driven completion: the last OnConnectionClosed completes allClosed.
        if (Volatile.Read(ref _active) == 0)
        {
            allClosed.TrySetResult();
        }

        // Wait until the deadline fixed at the start, not for a fresh timeout: stopping the accept loop and
        // signalling took some of it already. Timers count whole milliseconds on a coarse clock and can fire a
        // little early, so check the monotonic clock and wait out any remainder.
        while (!allClosed.Task.IsCompleted)
        {
            var remaining = timeout - _timeProvider.GetElapsedTime(startTimestamp);
            if (remaining <= TimeSpan.Zero)
            {
                break;
            }

            try
            {
                await allClosed.Task.WaitAsync(TimeSpan.FromMilliseconds(Math.Ceiling(remaining.TotalMilliseconds)), _timeProvider).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
            }
        }

        // 6. At the deadline, abort what is left. Kestrel finishes those connections once their handlers
        //    observe RequestAborted; they stay tracked until then.
        var aborted = allClosed.Task.IsCompleted ? 0 : AbortAll();

        // 7. Forget the listener; its port was freed in step 1.
        Volatile.Write(ref _state, (int)ListenerStatus.Stopped);
        _onRemoved(this);
        DisposeSocketWhenIdle();

        var result = new DrainResult(
            Name,
            aborted > 0 ? DrainOutcome.TimedOut : DrainOutcome.Drained,
            Math.Max(0, connectionsAtStart - aborted),
            aborted,
            Volatile.Read(ref _acknowledgements) - acknowledgementsBefore,
            _timeProvider.GetElapsedTime(startTimestamp));

        _diagnostics.Metrics.DrainCompleted(result);
        RoadrunnerLog.DrainCompleted(_diagnostics.Logger, Name, result.Outcome, (long)result.Elapsed.TotalMilliseconds, result.GracefulConnections, result.AbortedConnections, result.Acknowledgements);
        _diagnostics.Write(RoadrunnerEvents.DrainCompleted, result, static r => r);
        return result;
    }

    /// <summary>Aborts every tracked connection, spread over the cores: each abort is a socket shutdown and close.</summary>
    private int AbortAll()
    {
        var survivors = _connections.Keys;
        var reason = new ConnectionAbortedException($"Listener '{Name}' reached its drain deadline.");
        if (survivors.Count < ParallelAbortThreshold)
        {
            foreach (var connection in survivors)
            {
                connection.Abort(reason);
            }
        }
        else
        {
            Parallel.ForEach(survivors, connection => connection.Abort(reason));
        }

        var logger = _diagnostics.Logger;
        var log = logger.IsEnabled(Microsoft.Extensions.Logging.LogLevel.Information);
        foreach (var connection in survivors)
        {
            if (log)
            {
                RoadrunnerLog.ConnectionAbortedAtDeadline(logger, connection.ConnectionId, Name);
            }

            _diagnostics.Write(
                RoadrunnerEvents.ConnectionAborted,
                (Name, connection),
                static s => new ConnectionAbortedEvent(s.Name, s.connection.ConnectionId, s.connection.RemoteEndPoint));
        }

        return survivors.Count;
    }

    /// <summary>The socket transport's listener owns the memory pool its connections use: dispose it only when they are gone.</summary>
    private void DisposeSocketWhenIdle()
    {
        if (Volatile.Read(ref _active) == 0
            && Volatile.Read(ref _state) == (int)ListenerStatus.Stopped
            && _socket is { } socket
            && Interlocked.Exchange(ref _socketDisposed, 1) == 0)
        {
            _ownedCertificate?.Dispose();
            _ = DisposeQuietlyAsync(socket);
        }
    }

    public static async Task DisposeQuietlyAsync(IAsyncDisposable disposable)
    {
        try
        {
            await disposable.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // The peer may be gone already; nothing to report.
        }
    }
}
