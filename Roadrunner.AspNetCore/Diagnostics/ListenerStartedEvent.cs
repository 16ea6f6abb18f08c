using System.Net;

namespace Roadrunner.AspNetCore;

/// <summary>Payload of <see cref="RoadrunnerEvents.ListenerStarted"/>.</summary>
/// <param name="ListenerName">The listener.</param>
/// <param name="EndPoint">The bound endpoint (real port).</param>
/// <param name="Scheme"><c>http</c> or <c>https</c>.</param>
/// <param name="Protocols">The HTTP versions served.</param>
public sealed record ListenerStartedEvent(string ListenerName, IPEndPoint EndPoint, string Scheme, ListenerProtocols Protocols);
