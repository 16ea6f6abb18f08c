using System.Net;

namespace Roadrunner.AspNetCore;

/// <summary>Payload of <see cref="RoadrunnerEvents.ConnectionAborted"/>.</summary>
/// <param name="ListenerName">The drained listener.</param>
/// <param name="ConnectionId">Kestrel's connection id.</param>
/// <param name="RemoteEndPoint">The peer.</param>
public sealed record ConnectionAbortedEvent(string ListenerName, string ConnectionId, EndPoint? RemoteEndPoint);
