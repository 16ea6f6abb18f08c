using System.Collections.Concurrent;

namespace Roadrunner.AspNetCore.Listeners;

/// <summary>
/// Which listener holds which name, and which listeners are still live (not yet closed, named or not): the bookkeeping
/// behind <see cref="ListenerManager"/>. A listener replaced by a configuration reload leaves the name to its successor
/// but stays live, and is kept as detached until its own stop is reported. Separate from the manager so the rules of
/// names (one holder, reserved before binding, released only by their holder) live in one place, lock-free.
/// </summary>
internal sealed class ListenerRegistry
{
    private readonly ConcurrentDictionary<string, RuntimeListener> _names = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<RuntimeListener, byte> _live = new(ReferenceEqualityComparer.Instance);
    private readonly ConcurrentDictionary<RuntimeListener, byte> _detached = new(ReferenceEqualityComparer.Instance);

    /// <summary>A snapshot of the listeners not yet closed, registered or not (host shutdown drains all of them).</summary>
    public ICollection<RuntimeListener> Live => _live.Keys;

    /// <summary>How many listeners are not yet closed, registered or not.</summary>
    public int LiveCount => _live.Count;

    /// <summary>The registered listeners, whatever their state (a snapshot).</summary>
    public List<RuntimeListener> Registered() => _names.Values.ToList();

    /// <summary>The registered listeners a caller can see (accepting, suspended or draining), most recently started first.</summary>
    public IEnumerable<RuntimeListener> Visible() =>
        _names.Values.Where(IsVisible).OrderByDescending(l => l.Sequence);

    /// <summary>The registered (visible) listener of that name.</summary>
    public RuntimeListener? Find(string name) =>
        _names.TryGetValue(name, out var listener) && IsVisible(listener) ? listener : null;

    /// <summary>Reserves the name for <paramref name="listener"/>: of concurrent reservations of one name exactly one wins.</summary>
    public bool TryReserve(string name, RuntimeListener listener) => _names.TryAdd(name, listener);

    /// <summary>Gives up a reservation whose listener could not bind; a name another listener holds is left alone.</summary>
    public void Unreserve(string name, RuntimeListener listener) =>
        _names.TryRemove(new KeyValuePair<string, RuntimeListener>(name, listener));

    /// <summary>The listener is about to accept: it stays live until <see cref="RemoveLive"/>.</summary>
    public void AddLive(RuntimeListener listener) => _live.TryAdd(listener, 0);

    /// <summary>The listener's last connection is gone and it holds nothing any more.</summary>
    public void RemoveLive(RuntimeListener listener) => _live.TryRemove(listener, out _);

    /// <summary>
    /// Moves <paramref name="old"/>'s name to <paramref name="successor"/>. The old listener leaves the name registry but
    /// stays live (host shutdown still drains it), and its stop is still reported when its drain ends.
    /// </summary>
    /// <returns><see langword="false"/> when another listener took the name meanwhile (nothing changed).</returns>
    public bool TryPassName(RuntimeListener old, RuntimeListener successor)
    {
        _detached.TryAdd(old, 0);
        if (!_names.TryUpdate(old.Name, successor, old) && !_names.TryAdd(old.Name, successor))
        {
            _detached.TryRemove(old, out _);
            return false;
        }

        return true;
    }

    /// <summary>Forgets the listener's name; <see langword="true"/> for the one caller that removed it.</summary>
    public bool TryForget(RuntimeListener listener) =>
        // A listener replaced by a reload left the name to its successor; its own stop is still reported once.
        _names.TryRemove(new KeyValuePair<string, RuntimeListener>(listener.Name, listener)) || _detached.TryRemove(listener, out _);

    private static bool IsVisible(RuntimeListener listener) =>
        listener.State is ListenerState.Accepting or ListenerState.Suspended or ListenerState.Draining;
}
