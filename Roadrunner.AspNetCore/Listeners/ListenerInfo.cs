using System.Net;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Roadrunner.AspNetCore.Serialization;

namespace Roadrunner.AspNetCore;

/// <summary>A snapshot of one listener's state and counters.</summary>
/// <remarks>
/// Serializes with System.Text.Json as it is (web defaults, or <see cref="RoadrunnerJsonContext"/>), as
/// <c>{"name","address","port","scheme","protocols","status","activeConnections","maxConnections","requestsServed","rejected","startedAt"}</c>:
/// the endpoint as <see cref="Address"/> and <see cref="Port"/>, enums as strings, <see cref="ConnectionsRejected"/>
/// as <c>rejected</c>; <see cref="EndPoint"/> and <see cref="Url"/> are left out (they follow from the others).
/// </remarks>
public sealed record ListenerInfo
{
    private readonly IPEndPoint _endPoint = new(IPAddress.Any, 0);

    /// <summary>The listener's name.</summary>
    public required string Name { get; init; }

    /// <summary>
    /// The bound IP address as text, e.g. <c>127.0.0.1</c> or <c>::1</c> (the address of <see cref="EndPoint"/>).
    /// Setting it replaces the address of <see cref="EndPoint"/>; it must be an IP address literal.
    /// </summary>
    [JsonRequired]
    public string Address
    {
        get => _endPoint.Address.ToString();
        init => _endPoint = JsonShape.WithAddress(_endPoint, value);
    }

    /// <summary>
    /// The bound port, the real one when port 0 was asked for (the port of <see cref="EndPoint"/>). Setting it replaces
    /// the port of <see cref="EndPoint"/>.
    /// </summary>
    [JsonRequired]
    public int Port
    {
        get => _endPoint.Port;
        init => _endPoint = JsonShape.WithPort(_endPoint, value);
    }

    /// <summary>
    /// The bound endpoint, with the real port when port 0 was asked for. Not serialized: JSON has <see cref="Address"/>
    /// and <see cref="Port"/>.
    /// </summary>
    [JsonIgnore]
    public IPEndPoint EndPoint
    {
        get => _endPoint;
        init => _endPoint = value ?? throw new ArgumentNullException(nameof(value));
    }

    /// <summary><c>http</c> or <c>https</c>.</summary>
    public required string Scheme { get; init; }

    /// <summary>The HTTP versions served.</summary>
    public required ListenerProtocols Protocols { get; init; }

    /// <summary><see cref="ListenerStatus.Accepting"/>, <see cref="ListenerStatus.Suspended"/> or <see cref="ListenerStatus.Draining"/>.</summary>
    public required ListenerStatus Status { get; init; }

    /// <summary>Connections open right now.</summary>
    public required int ActiveConnections { get; init; }

    /// <summary>The connection cap, or <see langword="null"/> for none.</summary>
    public required int? MaxConnections { get; init; }

    /// <summary>Requests received on this listener since it started.</summary>
    public required long RequestsServed { get; init; }

    /// <summary>
    /// Connections closed at once because <see cref="MaxConnections"/> was reached. In JSON <c>"rejected"</c>.
    /// </summary>
    [JsonPropertyName("rejected")]
    public required long ConnectionsRejected { get; init; }

    /// <summary>When the listener started accepting.</summary>
    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>
    /// The server certificate a TLS listener presents now (its default one; see <see cref="ListenerOptions.SniCertificates"/>
    /// for the others); <see langword="null"/> for plaintext, and then left out of JSON.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public ListenerCertificateInfo? Certificate { get; init; }

    /// <summary>Whether a TLS listener asks clients for a certificate; <see langword="null"/> for plaintext, and then left out of JSON.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonConverter(typeof(JsonStringEnumConverter<ClientCertificateMode>))]
    public ClientCertificateMode? ClientCertificateMode { get; init; }

    /// <summary>TLS handshakes failed because the client certificate was missing or refused. Left out of JSON while 0.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public long ClientCertificatesRejected { get; init; }

    /// <summary>
    /// Why the last reload of a changed certificate file failed (the old certificate is still presented), until a good
    /// load; <see langword="null"/> otherwise, and then left out of JSON.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? CertificateReloadError { get; init; }

    /// <summary>The base URL of the listener, e.g. <c>http://127.0.0.1:5080</c>. Not serialized.</summary>
    [JsonIgnore]
    public Uri Url => new($"{Scheme}://{(EndPoint.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{EndPoint.Address}]" : EndPoint.Address.ToString())}:{EndPoint.Port}");
}
