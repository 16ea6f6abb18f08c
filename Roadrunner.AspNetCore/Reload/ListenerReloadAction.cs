namespace Roadrunner.AspNetCore.Reload;

/// <summary>What a reload does with one listener whose configuration changed (<see cref="ListenerReloadPlanner.Decide"/>).</summary>
internal enum ListenerReloadAction
{
    /// <summary>No listener has the name: start it.</summary>
    Start,

    /// <summary>Only live options changed: publish them to the running listener.</summary>
    Update,

    /// <summary>A fixed option changed, or the previous instance drains: start the new listener, then drain the old.</summary>
    Replace,

    /// <summary>The name belongs to a listener started from code, which a reload never touches.</summary>
    Refuse,
}
