namespace Roadrunner.AspNetCore.Listeners;

/// <summary>The state of one listener and its one transition method: lock-free, and every allowed move is listed here.</summary>
internal sealed class ListenerLifecycle
{
    private int _state = (int)ListenerState.Starting;

    public ListenerState Current => (ListenerState)Volatile.Read(ref _state);

    /// <summary>The public view of the state.</summary>
    public ListenerStatus Status => Current switch
    {
        ListenerState.Starting or ListenerState.Accepting => ListenerStatus.Accepting,
        ListenerState.Suspended => ListenerStatus.Suspended,
        ListenerState.Draining => ListenerStatus.Draining,
        _ => ListenerStatus.Stopped,
    };

    /// <summary>
    /// Moves to <paramref name="to"/> if that is allowed from the current state. Of concurrent callers making
    /// the same move exactly one gets <see langword="true"/>, with the state it left in <paramref name="from"/>.
    /// </summary>
    public bool TryMoveTo(ListenerState to, out ListenerState from)
    {
        while (true)
        {
            from = Current;
            if (!IsAllowed(from, to))
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _state, (int)to, (int)from) == (int)from)
            {
                return true;
            }
        }
    }

    public bool TryMoveTo(ListenerState to) => TryMoveTo(to, out _);

    private static bool IsAllowed(ListenerState from, ListenerState to) => (from, to) switch
    {
        (ListenerState.Starting, ListenerState.Accepting) => true,
        (ListenerState.Starting, ListenerState.Closed) => true,
        (ListenerState.Accepting, ListenerState.Suspended) => true,
        (ListenerState.Suspended, ListenerState.Accepting) => true,
        (ListenerState.Accepting or ListenerState.Suspended, ListenerState.Stopping) => true,
        (ListenerState.Accepting or ListenerState.Suspended or ListenerState.Stopping or ListenerState.Stopped, ListenerState.Draining) => true,
        (ListenerState.Stopping or ListenerState.Draining, ListenerState.Stopped) => true,
        (ListenerState.Stopped, ListenerState.Closed) => true,
        _ => false,
    };
}
