using Roadrunner.AspNetCore.Listeners;

namespace Roadrunner.AspNetCore.Drain;

/// <summary>Drains listeners in <see cref="ListenerOptions.ShutdownOrder"/> groups within one deadline.</summary>
internal static class OrderedDrain
{
    /// <summary>Lower orders first; in a group, the most recently started first.</summary>
    public static IReadOnlyList<IReadOnlyList<RuntimeListener>> Groups(IEnumerable<RuntimeListener> listeners) =>
        [.. listeners
            .GroupBy(l => l.Options.ShutdownOrder)
            .OrderBy(g => g.Key)
            .Select(g => (IReadOnlyList<RuntimeListener>)[.. g.OrderByDescending(l => l.Sequence)])];

    /// <summary>Drains each group in parallel, the next when the previous is done; disposes the deadline.</summary>
    public static async Task<IReadOnlyList<DrainResult>> RunAsync(IEnumerable<RuntimeListener> listeners, DrainDeadline deadline, CancellationToken cancellationToken)
    {
        using (deadline)
        {
            var results = new List<DrainResult>();
            foreach (var group in Groups(listeners))
            {
                // Every group shares the one deadline: a later group gets what the earlier ones left.
                var remaining = deadline.Remaining ?? Timeout.InfiniteTimeSpan;
                var drains = group.Select(l => l.DrainAsync(remaining)).OfType<Task<DrainResult>>();
                results.AddRange(await Task.WhenAll(drains).WaitAsync(cancellationToken).ConfigureAwait(false));
            }

            return results;
        }
    }
}
