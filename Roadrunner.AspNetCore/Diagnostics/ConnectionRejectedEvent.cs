using System.Net;

namespace Roadrunner.AspNetCore;

/// <summary>Payload of <see cref="RoadrunnerEvents.ConnectionRejected"/>.</summary>
/// <param name="ListenerName">The listener.</param>
/// <param name="RemoteEndPoint">The peer that was turned away.</param>
/// <param name="Reason">Why: <c>max_connections</c>.</param>
public sealed record ConnectionRejectedEvent(string ListenerName, EndPoint? RemoteEndPoint, string Reason);
