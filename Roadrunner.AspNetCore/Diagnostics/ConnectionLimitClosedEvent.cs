using System.Net;
using System.Text.Json.Serialization;
using Roadrunner.AspNetCore.Serialization;

namespace Roadrunner.AspNetCore;

/// <summary>Payload of <see cref="RoadrunnerEvents.ConnectionLimitClosed"/>.</summary>
/// <remarks>JSON: <c>{"listenerName","connectionId","remoteAddress","remotePort","reason"}</c>.</remarks>
/// <param name="ListenerName">The listener.</param>
/// <param name="ConnectionId">Kestrel's connection id.</param>
/// <param name="RemoteEndPoint">The client. Not serialized: JSON has <see cref="RemoteAddress"/> and <see cref="RemotePort"/>.</param>
/// <param name="Reason">
/// Why: <c>keep_alive_timeout</c> (closed gracefully), <c>request_headers_timeout</c> (cut),
/// <c>max_requests_per_connection</c> (last response or GOAWAY) or <c>max_connections_idle</c> (a connection over the
/// cap that sent no request in time, cut).
/// </param>
public sealed record ConnectionLimitClosedEvent(
    string ListenerName,
    string ConnectionId,
    [property: JsonIgnore] EndPoint? RemoteEndPoint,
    [property: JsonPropertyOrder(1)] string Reason)
{
    /// <summary>The client's IP address as text; <see langword="null"/> when unknown. Setting it replaces the address of <see cref="RemoteEndPoint"/>.</summary>
    public string? RemoteAddress
    {
        get => JsonShape.AddressOf(RemoteEndPoint);
        init => RemoteEndPoint = value is null ? RemoteEndPoint : JsonShape.WithAddress(RemoteEndPoint, value);
    }

    /// <summary>The client's port; <see langword="null"/> when unknown. Setting it replaces the port of <see cref="RemoteEndPoint"/>.</summary>
    public int? RemotePort
    {
        get => JsonShape.PortOf(RemoteEndPoint);
        init => RemoteEndPoint = value is { } port ? JsonShape.WithPort(RemoteEndPoint, port) : RemoteEndPoint;
    }
}
