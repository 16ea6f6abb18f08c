using System.Net;
using System.Text.Json.Serialization;
using Roadrunner.AspNetCore.Serialization;

namespace Roadrunner.AspNetCore;

/// <summary>Payload of <see cref="RoadrunnerEvents.ProxyProtocolRejected"/>.</summary>
/// <remarks>JSON: <c>{"listenerName","remoteAddress","remotePort","reason"}</c>.</remarks>
/// <param name="ListenerName">The listener.</param>
/// <param name="RemoteEndPoint">The peer (the proxy, or whoever connected). Not serialized: JSON has <see cref="RemoteAddress"/> and <see cref="RemotePort"/>.</param>
/// <param name="Reason">Why: <c>missing</c>, <c>malformed</c>, <c>oversized</c>, <c>timeout</c>, <c>incomplete</c> or <c>untrusted</c>.</param>
public sealed record ProxyProtocolRejectedEvent(
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
