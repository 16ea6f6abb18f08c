namespace Roadrunner.AspNetCore;

/// <summary>Payload of <see cref="RoadrunnerEvents.ListenerStopped"/>.</summary>
/// <remarks>JSON: <c>{"listenerName","openConnections"}</c>.</remarks>
/// <param name="ListenerName">The listener.</param>
/// <param name="OpenConnections">Connections still open (they stay tracked until they close).</param>
public sealed record ListenerStoppedEvent(string ListenerName, int OpenConnections);
