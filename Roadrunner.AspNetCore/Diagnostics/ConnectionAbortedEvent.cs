using System.Net;
using System.Text.Json.Serialization;
using Roadrunner.AspNetCore.Serialization;

namespace Roadrunner.AspNetCore;

/// <summary>Payload of <see cref="RoadrunnerEvents.ConnectionAborted"/>.</summary>
/// <remarks>JSON: <c>{"listenerName","connectionId","remoteAddress","remotePort"}</c>.</remarks>
/// <param name="ListenerName">The drained listener.</param>
/// <param name="ConnectionId">Kestrel's connection id.</param>
/// <param name="RemoteEndPoint">The peer. Not serialized: JSON has <see cref="RemoteAddress"/> and <see cref="RemotePort"/>.</param>
public sealed record ConnectionAbortedEvent(string ListenerName, string ConnectionId, [property: JsonIgnore] EndPoint? RemoteEndPoint)
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
