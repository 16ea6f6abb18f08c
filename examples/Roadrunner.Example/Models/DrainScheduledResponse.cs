namespace Roadrunner.Example.Models;

/// <summary>
/// Answer (202) of a soft drain, or of a drain of the listener that carries the admin request itself: the drain
/// signal went out with this deadline, and nothing is waited on.
/// </summary>
public sealed record DrainScheduledResponse(string Name, DateTimeOffset Deadline);
