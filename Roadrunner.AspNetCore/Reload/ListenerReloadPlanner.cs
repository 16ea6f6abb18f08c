using Roadrunner.AspNetCore.Listeners;

namespace Roadrunner.AspNetCore.Reload;

/// <summary>
/// The diff of a configuration reload: which listeners to stop, which changed, and for each changed one whether to
/// start, update or replace it. Pure (reads its arguments, changes nothing), separate from
/// <see cref="ListenerConfigurationReloader"/>, which applies the plan and reports what failed.
/// </summary>
internal static class ListenerReloadPlanner
{
    /// <summary>Compares <paramref name="desired"/> with what the previous reload <paramref name="applied"/>.</summary>
    /// <param name="applied">The options each listener got from the last reload that applied it.</param>
    /// <param name="desired">The options the configuration now gives.</param>
    /// <param name="sectionExists">Whether the configuration has a <c>Roadrunner</c> section at all.</param>
    public static ListenerReloadPlan Plan(IReadOnlyDictionary<string, ListenerOptions> applied, RoadrunnerOptions desired, bool sectionExists)
    {
        // .NET's file provider reads a file that fails to parse as empty: that must not drain every configured listener.
        if (desired.Listeners.Count == 0 && applied.Count > 0 && !sectionExists)
        {
            return new(SectionMissing: true, [], []);
        }

        var removed = applied.Keys.Where(n => !desired.Listeners.ContainsKey(n)).ToList();
        var changed = new List<KeyValuePair<string, ListenerOptions?>>();
        foreach (var (name, options) in desired.Listeners)
        {
            // A listener unchanged since the last reload is left out: running or not, nothing to do.
            if (options is null || !applied.TryGetValue(name, out var previous) || Differs(previous, options))
            {
                changed.Add(new(name, options));
            }
        }

        return new(SectionMissing: false, removed, changed);
    }

    /// <summary>What to do with the listener <paramref name="running"/> under the name now configured with <paramref name="options"/>.</summary>
    /// <param name="running">The listener running under the name, if any.</param>
    /// <param name="options">The configured options.</param>
    /// <param name="replaceReason">For <see cref="ListenerReloadAction.Replace"/>, why (for the log); otherwise null.</param>
    public static ListenerReloadAction Decide(RuntimeListener? running, ListenerOptions options, out string? replaceReason)
    {
        replaceReason = null;
        if (running is null)
        {
            return ListenerReloadAction.Start;
        }

        if (running.Origin == ListenerOrigin.Code)
        {
            return ListenerReloadAction.Refuse;
        }

        var fixedChange = ListenerOptionsChanges.FirstFixedChange(running.Options, options, running.EndPoint);
        if (running.State == ListenerState.Draining || fixedChange is not null)
        {
            replaceReason = fixedChange is not null ? $"{fixedChange} changed" : "re-added while its previous instance drains";
            return ListenerReloadAction.Replace;
        }

        return ListenerReloadAction.Update;
    }

    private static bool Differs(ListenerOptions previous, ListenerOptions next) =>
        ListenerOptionsChanges.FirstFixedChange(previous, next) is not null || ListenerOptionsChanges.LiveDiffers(previous, next);
}
