using System.Net;
using System.Text.Json.Serialization;
using Roadrunner.AspNetCore.Serialization;

namespace Roadrunner.AspNetCore;

/// <summary>Payload of <see cref="RoadrunnerEvents.RequestLimited"/>.</summary>
/// <remarks>JSON: <c>{"listenerName","remoteAddress","remotePort","reason"}</c>.</remarks>
/// <param name="ListenerName">The listener.</param>
/// <param name="RemoteEndPoint">The client. Not serialized: JSON has <see cref="RemoteAddress"/> and <see cref="RemotePort"/>.</param>
/// <param name="Reason">
/// Why: <c>max_concurrent_requests</c> (503 / REFUSED_STREAM), <c>rate_limit</c> (429), <c>max_requests_per_connection</c>
/// (an HTTP/2 stream past the limit, REFUSED_STREAM) or <c>max_connections</c> (503 on a connection over the cap).
/// </param>
public sealed record RequestLimitedEvent(
    string ListenerName,
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
