namespace Roadrunner.AspNetCore;

/// <summary>Payload of <see cref="RoadrunnerEvents.DrainAcknowledged"/>.</summary>
/// <param name="ListenerName">The request's listener; <see langword="null"/> on an ordinary Kestrel endpoint.</param>
/// <param name="Peer">The client's address and port, e.g. <c>127.0.0.1:50312</c>.</param>
/// <param name="RequestId">The request's <c>HttpContext.TraceIdentifier</c>.</param>
/// <param name="Deadline">The deadline given by the handler, else the one of the drain in flight, else <see langword="null"/>.</param>
/// <param name="RemainingGrace">Time left until <paramref name="Deadline"/> when acknowledged; <see langword="null"/> without a deadline.</param>
public sealed record DrainAcknowledgedEvent(string? ListenerName, string? Peer, string RequestId, DateTimeOffset? Deadline, TimeSpan? RemainingGrace);
