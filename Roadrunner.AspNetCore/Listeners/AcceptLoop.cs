using System.Net.Sockets;
using Roadrunner.AspNetCore.Diagnostics;
using Roadrunner.AspNetCore.Transport;

namespace Roadrunner.AspNetCore.Listeners;

/// <summary>
/// Accepts a listener's connections and hands each socket to it. Unlike Kestrel's socket transport, which retries a
/// failed accept at once, it backs off when the process or the system is out of file descriptors or buffers
/// (EMFILE, ENFILE, ENOBUFS): retrying in a tight loop there starves the process until the runtime aborts. Those
/// failures are counted and logged as one warning per <see cref="ReportInterval"/>, with the count.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "StopAsync disposes the token source once the loop has ended.")]
internal sealed class AcceptLoop
{
    private static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan ReportInterval = TimeSpan.FromSeconds(10);

    private readonly RuntimeListener _listener;
    private readonly ListenSocket _socket;
    private readonly RoadrunnerDiagnostics _diagnostics;
    private readonly TimeProvider _timeProvider;
    private readonly CancellationTokenSource _stopping = new();
    private readonly LogThrottle _failureLog;
    private Task _completion = Task.CompletedTask;
    private TaskCompletionSource? _resume;
    private CancellationTokenSource _interrupt = new();
    private int _failuresSinceAccept;

    public AcceptLoop(RuntimeListener listener, ListenSocket socket, RoadrunnerDiagnostics diagnostics, TimeProvider timeProvider)
    {
        _listener = listener;
        _socket = socket;
        _diagnostics = diagnostics;
        _timeProvider = timeProvider;
        _failureLog = new LogThrottle(timeProvider, ReportInterval);
    }

    public void Start() => _completion = RunAsync();

    /// <summary>Re-checks a pause (suspended, or at the cap with <see cref="MaxConnectionsBehavior.Backlog"/>).</summary>
    public void Wake() => Volatile.Read(ref _resume)?.TrySetResult();

    /// <summary>Ends a pending accept so the loop sees a suspend before it takes another connection.</summary>
    public void Interrupt()
    {
        try
        {
            Volatile.Read(ref _interrupt).Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The loop was just interrupted and swapped the source: it checks the pause before its next accept anyway.
        }
    }

    /// <summary>
    /// Ends the loop without closing the listen socket, and returns the socket: a listener replacing this one on the same
    /// endpoint accepts on it, so the connects queued in the backlog meanwhile are served, not refused. A connection this
    /// loop accepted just before stays with this loop's listener.
    /// </summary>
    public async Task<ListenSocket> DetachAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        Interrupt();
        await _completion.ConfigureAwait(false);
        _stopping.Dispose();
        _interrupt.Dispose();
        return _socket;
    }

    /// <summary>Closes the listen socket (new connects are refused) and waits for the loop to end.</summary>
    public async Task StopAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        _socket.Dispose();
        await _completion.ConfigureAwait(false);
        _stopping.Dispose();
        _interrupt.Dispose();
    }

    private async Task RunAsync()
    {
        var backoff = TimeSpan.Zero;
        while (!_stopping.IsCancellationRequested)
        {
            if (_listener.ShouldPauseAccepting && !await PauseAsync().ConfigureAwait(false))
            {
                return;
            }

            Socket? socket;
            try
            {
                socket = await _socket.AcceptAsync(Volatile.Read(ref _interrupt).Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
            {
                return; // Detached: the socket stays open for the listener that takes it over.
            }
            catch (OperationCanceledException)
            {
                // Interrupted by a suspend: a fresh token for the next accept, then the pause check.
                var interrupted = Volatile.Read(ref _interrupt);
                Volatile.Write(ref _interrupt, new CancellationTokenSource());
                interrupted.Dispose();
                continue;
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted)
            {
                continue; // Reset while in the backlog: nothing to report, as in Kestrel.
            }
            catch (Exception ex)
            {
                backoff = backoff == TimeSpan.Zero ? FirstBackoff : TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
                ReportFailure(ex);
                if (!await WaitAsync(backoff).ConfigureAwait(false))
                {
                    return;
                }

                continue;
            }

            if (socket is null)
            {
                return; // Unbound.
            }

            if (_failuresSinceAccept > 0)
            {
                RoadrunnerLog.AcceptResumed(_diagnostics.TransportLogger, _listener.Name, _failuresSinceAccept);
                _failuresSinceAccept = 0;
            }

            backoff = TimeSpan.Zero;
            try
            {
                _listener.OnAccepted(socket);
            }
            catch (Exception ex)
            {
                // One connection that cannot be set up must not end the loop: drop it, report it, go on.
                socket.Dispose();
                ReportFailure(ex);
            }
        }
    }

    /// <summary>Waits, without accepting, until the pause ends; connects queue in the kernel's backlog meanwhile.</summary>
    /// <returns><see langword="false"/> when the listener stops.</returns>
    private async Task<bool> PauseAsync()
    {
        while (true)
        {
            // Publish the waiter before re-checking, so a wake between the check and the wait is not lost.
            var resume = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref _resume, resume);
            if (!_listener.ShouldPauseAccepting)
            {
                Volatile.Write(ref _resume, null);
                return true;
            }

            try
            {
                await resume.Task.WaitAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }
    }

    private async Task<bool> WaitAsync(TimeSpan delay)
    {
        try
        {
            await Task.Delay(delay, _timeProvider, _stopping.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        catch (OutOfMemoryException)
        {
            // Out of file descriptors the runtime cannot start its timer thread (pipe2 fails with EMFILE), and a timer
            // may be exactly what this back-off needs first. Block this one thread-pool thread instead: it only ever
            // happens while the process is out of descriptors, and the accept loop must not die of it.
            Thread.Sleep(delay);
            return !_stopping.IsCancellationRequested;
        }
    }

    // SocketError folds EMFILE and ENFILE into one value (and its message is ENFILE's); the errno tells them apart.
    private static string Describe(SocketException exception) => exception.NativeErrorCode switch
    {
        24 => "EMFILE: too many open files in this process",
        23 => "ENFILE: too many open files in the system",
        105 => "ENOBUFS: no buffer space",
        _ => exception.Message,
    };

    private void ReportFailure(Exception exception)
    {
        var error = exception is SocketException socketException ? socketException.SocketErrorCode.ToString() : exception.GetType().Name;
        _diagnostics.Metrics.AcceptFailed(_listener.Name, error);
        _failuresSinceAccept++;
        if (!_failureLog.TryReport(out var count))
        {
            return;
        }

        if (exception is SocketException { SocketErrorCode: SocketError.TooManyOpenSockets or SocketError.NoBufferSpaceAvailable } exhausted)
        {
            RoadrunnerLog.AcceptResourceExhausted(_diagnostics.TransportLogger, _listener.Name, exhausted.SocketErrorCode, Describe(exhausted), count, (int)ReportInterval.TotalSeconds);
        }
        else
        {
            RoadrunnerLog.AcceptLoopFailed(_diagnostics.TransportLogger, _listener.Name, count, (int)ReportInterval.TotalSeconds, exception);
        }
    }
}
