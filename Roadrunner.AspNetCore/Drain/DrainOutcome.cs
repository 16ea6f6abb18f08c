namespace Roadrunner.AspNetCore;

/// <summary>How a drain ended.</summary>
public enum DrainOutcome
{
    /// <summary>Every connection closed before the deadline.</summary>
    Drained = 0,

    /// <summary>The deadline passed; the connections still open were aborted.</summary>
    TimedOut = 1,
}
