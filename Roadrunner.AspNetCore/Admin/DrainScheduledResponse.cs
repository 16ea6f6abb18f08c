namespace Roadrunner.AspNetCore.Admin;

/// <summary>
/// Answer (202) of a soft drain, or of a drain of the listener that carries the admin request itself: the drain signal
/// went out with this deadline, and nothing is waited on.
/// </summary>
/// <param name="Name">The listener.</param>
/// <param name="Deadline">The deadline sent with the signal.</param>
internal sealed record DrainScheduledResponse(string Name, DateTimeOffset Deadline);
