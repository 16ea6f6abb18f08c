namespace Roadrunner.AspNetCore;

/// <summary>
/// The drain signal of one request, placed on <c>HttpContext.Features</c> by <c>UseRoadrunnerDrain()</c>.
/// One instance is shared by every request of a listener's drain generation: reading it allocates nothing.
/// </summary>
public interface IRoadrunnerDrainFeature
{
    /// <summary>The listener the request arrived on; <see langword="null"/> on an ordinary Kestrel endpoint.</summary>
    string? ListenerName { get; }

    /// <summary>
    /// Fires when the request's listener is drained or soft-drained, or when the host shuts down. Never pass
    /// it to <c>WebSocket.ReceiveAsync</c>: a cancelled receive aborts the socket.
    /// </summary>
    CancellationToken DrainRequested { get; }

    /// <summary>Whether the drain signal has fired.</summary>
    bool IsDraining { get; }

    /// <summary>
    /// The absolute deadline after which open connections are aborted; <see langword="null"/> before a drain, and
    /// during a drain without deadline (<see cref="Timeout.InfiniteTimeSpan"/>, or a host whose shutdown timeout is infinite).
    /// </summary>
    DateTimeOffset? Deadline { get; }

    /// <summary>Time left until <see cref="Deadline"/> (zero once passed); <see langword="null"/> when there is no deadline.</summary>
    TimeSpan? RemainingTime { get; }
}
