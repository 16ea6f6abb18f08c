using System.Text.Json.Serialization;
using Roadrunner.AspNetCore.Serialization;

namespace Roadrunner.AspNetCore;

/// <summary>Payload of <see cref="RoadrunnerEvents.DrainAcknowledged"/>.</summary>
/// <remarks>JSON: <c>{"listenerName","peer","requestId","deadline","remainingGraceMs"}</c>.</remarks>
/// <param name="ListenerName">The request's listener; <see langword="null"/> on an ordinary Kestrel endpoint.</param>
/// <param name="Peer">The client's address and port, e.g. <c>127.0.0.1:50312</c>.</param>
/// <param name="RequestId">The request's <c>HttpContext.TraceIdentifier</c>.</param>
/// <param name="Deadline">The deadline given by the handler, else the one of the drain in flight, else <see langword="null"/>.</param>
/// <param name="RemainingGrace">
/// Time left until <paramref name="Deadline"/> when acknowledged; <see langword="null"/> without a deadline. Not serialized:
/// JSON has <see cref="RemainingGraceMs"/>.
/// </param>
public sealed record DrainAcknowledgedEvent(
    string? ListenerName,
    string? Peer,
    string RequestId,
    DateTimeOffset? Deadline,
    [property: JsonIgnore] TimeSpan? RemainingGrace)
{
    /// <summary>
    /// <see cref="RemainingGrace"/> in whole milliseconds (truncated); <see langword="null"/> without a deadline. In JSON
    /// <c>"remainingGraceMs"</c>; setting it sets <see cref="RemainingGrace"/>.
    /// </summary>
    public long? RemainingGraceMs
    {
        get => RemainingGrace is { } remaining ? JsonShape.Milliseconds(remaining) : null;
        init => RemainingGrace = value is { } ms ? TimeSpan.FromMilliseconds(ms) : null;
    }
}
