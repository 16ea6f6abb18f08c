namespace Roadrunner.AspNetCore.Reload;

/// <summary>
/// What one reload has to do, from comparing the configuration with what the previous reload applied
/// (<see cref="ListenerReloadPlanner.Plan"/>).
/// </summary>
/// <param name="SectionMissing">
/// The <c>Roadrunner</c> section is gone while listeners were applied: the reload changes nothing (see the planner).
/// </param>
/// <param name="Removed">The applied listeners no longer configured, in the order they were applied.</param>
/// <param name="Changed">
/// The configured listeners that are new or changed since the last reload, in configuration order; the options are null
/// for an empty section.
/// </param>
internal sealed record ListenerReloadPlan(
    bool SectionMissing,
    IReadOnlyList<string> Removed,
    IReadOnlyList<KeyValuePair<string, ListenerOptions?>> Changed);
