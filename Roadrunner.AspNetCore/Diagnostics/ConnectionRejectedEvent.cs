using System.Net;
using System.Text.Json.Serialization;
using Roadrunner.AspNetCore.Serialization;

namespace Roadrunner.AspNetCore;

/// <summary>Payload of <see cref="RoadrunnerEvents.ConnectionRejected"/>.</summary>
/// <remarks>JSON: <c>{"listenerName","remoteAddress","remotePort","reason"}</c>.</remarks>
/// <param name="ListenerName">The listener.</param>
/// <param name="RemoteEndPoint">The peer that was turned away. Not serialized: JSON has <see cref="RemoteAddress"/> and <see cref="RemotePort"/>.</param>
/// <param name="Reason">Why: <c>max_connections</c> (closed at once), or <c>max_connections_503</c> (admitted to be answered 503, <see cref="MaxConnectionsBehavior.ServiceUnavailable"/>).</param>
public sealed record ConnectionRejectedEvent(
    string ListenerName,
    [property: JsonIgnore] EndPoint? RemoteEndPoint,
    [property: JsonPropertyOrder(1)] string Reason)
{
    /// <summary>
    /// The peer's IP address as text (the address of <see cref="RemoteEndPoint"/>); <see langword="null"/> when unknown.
    /// Setting it replaces the address of <see cref="RemoteEndPoint"/>.
    /// </summary>
    public string? RemoteAddress
    {
        get => JsonShape.AddressOf(RemoteEndPoint);
        init => RemoteEndPoint = value is null ? RemoteEndPoint : JsonShape.WithAddress(RemoteEndPoint, value);
    }

    /// <summary>
    /// The peer's port (the port of <see cref="RemoteEndPoint"/>); <see langword="null"/> when unknown. Setting it replaces
    /// the port of <see cref="RemoteEndPoint"/>.
    /// </summary>
    public int? RemotePort
    {
        get => JsonShape.PortOf(RemoteEndPoint);
        init => RemoteEndPoint = value is { } port ? JsonShape.WithPort(RemoteEndPoint, port) : RemoteEndPoint;
    }
}
