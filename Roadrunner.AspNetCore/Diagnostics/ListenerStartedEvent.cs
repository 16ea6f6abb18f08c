using System.Net;
using System.Text.Json.Serialization;
using Roadrunner.AspNetCore.Serialization;

namespace Roadrunner.AspNetCore;

/// <summary>Payload of <see cref="RoadrunnerEvents.ListenerStarted"/>.</summary>
/// <remarks>JSON: <c>{"listenerName","address","port","scheme","protocols"}</c>, as in <see cref="ListenerInfo"/>.</remarks>
/// <param name="ListenerName">The listener.</param>
/// <param name="EndPoint">The bound endpoint (real port). Not serialized: JSON has <see cref="Address"/> and <see cref="Port"/>.</param>
/// <param name="Scheme"><c>http</c> or <c>https</c>.</param>
/// <param name="Protocols">The HTTP versions served.</param>
public sealed record ListenerStartedEvent(
    string ListenerName,
    [property: JsonIgnore] IPEndPoint EndPoint,
    [property: JsonPropertyOrder(1)] string Scheme,
    [property: JsonPropertyOrder(1)] ListenerProtocols Protocols)
{
    /// <summary>
    /// The bound IP address as text (the address of <see cref="EndPoint"/>). Setting it replaces the address of
    /// <see cref="EndPoint"/>.
    /// </summary>
    [JsonRequired]
    public string Address
    {
        get => EndPoint.Address.ToString();
        init => EndPoint = JsonShape.WithAddress(EndPoint, value);
    }

    /// <summary>The bound port (the port of <see cref="EndPoint"/>). Setting it replaces the port of <see cref="EndPoint"/>.</summary>
    [JsonRequired]
    public int Port
    {
        get => EndPoint.Port;
        init => EndPoint = JsonShape.WithPort(EndPoint, value);
    }

    /// <summary>
    /// The socket file of a Unix domain socket listener (whose <see cref="EndPoint"/> is then <c>0.0.0.0:0</c>);
    /// <see langword="null"/> for a TCP listener, and then left out of the JSON.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? UnixSocketPath { get; init; }
}
