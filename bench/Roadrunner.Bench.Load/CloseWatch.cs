using System.Diagnostics;

namespace Roadrunner.Bench.Load;

/// <summary>
/// The close bookkeeping of a set of client connections: one watcher task per connection, how many are still open,
/// and when each was closed.
/// </summary>
internal sealed class CloseWatch(int count)
{
    private readonly long[] _closedAt = new long[count];
    private Task[]? _watchers;
    private int _open = count;

    public int OpenCount => Volatile.Read(ref _open);

    /// <summary>The latest close time seen (a <see cref="Stopwatch"/> timestamp), or 0.</summary>
    public long LastClosedAt => _closedAt.Max();

    /// <summary>Starts <paramref name="watch"/> for every connection index.</summary>
    public void Start(Func<int, Task> watch)
    {
        var watchers = new Task[_closedAt.Length];
        for (var i = 0; i < watchers.Length; i++)
        {
            watchers[i] = watch(i);
        }

        _watchers = watchers;
    }

    /// <summary>Records that connection <paramref name="i"/> is closed; called once per connection by its watcher.</summary>
    public void MarkClosed(int i)
    {
        _closedAt[i] = Stopwatch.GetTimestamp();
        Interlocked.Decrement(ref _open);
    }

    /// <summary>Waits until every watcher has ended, or <paramref name="timeout"/> passes.</summary>
    /// <returns><see langword="true"/> when all are closed.</returns>
    public async Task<bool> WhenAllClosedAsync(TimeSpan timeout)
    {
        if (_watchers is null)
        {
            throw new InvalidOperationException("Call StartWatching first.");
        }

        var all = Task.WhenAll(_watchers);
        return await Task.WhenAny(all, Task.Delay(timeout)).ConfigureAwait(false) == all;
    }
}
