namespace Roadrunner.AspNetCore;

/// <summary>Payload of <see cref="RoadrunnerEvents.DrainStarted"/> and <see cref="RoadrunnerEvents.DrainNotified"/>.</summary>
/// <remarks>JSON: <c>{"listenerName","deadline","connections"}</c>.</remarks>
/// <param name="ListenerName">The listener; <see langword="null"/> for the host-shutdown signal of ordinary Kestrel endpoints.</param>
/// <param name="Deadline">The absolute deadline.</param>
/// <param name="Connections">Connections open when the signal was sent.</param>
public sealed record DrainStartedEvent(string? ListenerName, DateTimeOffset Deadline, int Connections);
