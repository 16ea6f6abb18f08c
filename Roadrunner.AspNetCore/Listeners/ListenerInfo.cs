using System.Net;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Roadrunner.AspNetCore.Listeners;
using Roadrunner.AspNetCore.Serialization;

namespace Roadrunner.AspNetCore;

/// <summary>A snapshot of one listener's state and counters.</summary>
/// <remarks>
/// Serializes with System.Text.Json as it is (web defaults, or <see cref="RoadrunnerJsonContext"/>), as
/// <c>{"name","address","port","scheme","protocols","status","activeConnections","maxConnections","requestsServed","rejected","startedAt",</c>
/// then the limits <c>"maxConnectionsBehavior","maxRequestBodySize","requestHeadersTimeoutMs","keepAliveTimeoutMs","maxRequestsPerConnection","minRequestBodyDataRate","maxConcurrentRequests","rateLimit","throttled","rateLimited",</c>
/// then <c>"proxyProtocol","proxyProtocolRejected"}</c>, and only when set <c>"trustedProxies"</c> and, for TLS, <c>"certificate","clientCertificateMode"</c>...:
/// the endpoint as <see cref="Address"/> and <see cref="Port"/>, enums as strings, <see cref="ConnectionsRejected"/>
/// as <c>rejected</c>; <see cref="EndPoint"/> and <see cref="Url"/> are left out (they follow from the others).
/// </remarks>
public sealed record ListenerInfo
{
    private readonly IPEndPoint _endPoint = new(IPAddress.Any, 0);
    private readonly string? _unixSocketPath;

    /// <summary>The listener's name.</summary>
    public required string Name { get; init; }

    /// <summary>
    /// The bound IP address as text, e.g. <c>127.0.0.1</c> or <c>::1</c> (the address of <see cref="EndPoint"/>); for a
    /// Unix domain socket listener <c>unix:</c> and the socket file's path, as in <see cref="ListenerOptions.Address"/>.
    /// Setting it replaces the address of <see cref="EndPoint"/> (or sets <see cref="UnixSocketPath"/> for <c>unix:/path</c>);
    /// it must be an IP address literal otherwise.
    /// </summary>
    [JsonRequired]
    public string Address
    {
        get => _unixSocketPath is { } path ? $"{UnixSocketAddress.Prefix}{path}" : _endPoint.Address.ToString();
        init
        {
            if (UnixSocketAddress.TryGetPath(value, out var path))
            {
                _unixSocketPath = path;
            }
            else
            {
                _endPoint = JsonShape.WithAddress(_endPoint, value);
            }
        }
    }

    /// <summary>
    /// The socket file of a Unix domain socket listener, <see langword="null"/> for a TCP listener. Not serialized: JSON
    /// has it in <see cref="Address"/> (<c>"unix:/run/app/a.sock"</c>, with <see cref="Port"/> 0).
    /// </summary>
    [JsonIgnore]
    public string? UnixSocketPath => _unixSocketPath;

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
    /// The bound endpoint, with the real port when port 0 was asked for (<c>0.0.0.0:0</c> for a Unix domain socket
    /// listener, see <see cref="UnixSocketPath"/>). Not serialized: JSON has <see cref="Address"/> and <see cref="Port"/>.
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

    /// <summary>What happens at the connection cap.</summary>
    public MaxConnectionsBehavior MaxConnectionsBehavior { get; init; }

    /// <summary>The listener's request body limit in bytes; <see langword="null"/>: Kestrel's server-wide one.</summary>
    public long? MaxRequestBodySize { get; init; }

    /// <summary>The listener's request headers timeout; <see langword="null"/>: Kestrel's. Not serialized: JSON has <see cref="RequestHeadersTimeoutMs"/>.</summary>
    [JsonIgnore]
    public TimeSpan? RequestHeadersTimeout { get; init; }

    /// <summary><see cref="RequestHeadersTimeout"/> in whole milliseconds; setting it sets <see cref="RequestHeadersTimeout"/>.</summary>
    public long? RequestHeadersTimeoutMs
    {
        get => RequestHeadersTimeout is { } timeout ? JsonShape.Milliseconds(timeout) : null;
        init => RequestHeadersTimeout = value is { } ms ? TimeSpan.FromMilliseconds(ms) : null;
    }

    /// <summary>The listener's keep-alive (idle) timeout; <see langword="null"/>: Kestrel's. Not serialized: JSON has <see cref="KeepAliveTimeoutMs"/>.</summary>
    [JsonIgnore]
    public TimeSpan? KeepAliveTimeout { get; init; }

    /// <summary><see cref="KeepAliveTimeout"/> in whole milliseconds; setting it sets <see cref="KeepAliveTimeout"/>.</summary>
    public long? KeepAliveTimeoutMs
    {
        get => KeepAliveTimeout is { } timeout ? JsonShape.Milliseconds(timeout) : null;
        init => KeepAliveTimeout = value is { } ms ? TimeSpan.FromMilliseconds(ms) : null;
    }

    /// <summary>The most requests per connection; <see langword="null"/> for no limit.</summary>
    public int? MaxRequestsPerConnection { get; init; }

    /// <summary>The listener's minimum request body data rate (HTTP/1.1); <see langword="null"/>: Kestrel's.</summary>
    public ListenerDataRate? MinRequestBodyDataRate { get; init; }

    /// <summary>The most requests in flight on the listener; <see langword="null"/> for no limit.</summary>
    public int? MaxConcurrentRequests { get; init; }

    /// <summary>The per-client-IP rate limit; <see langword="null"/> for none.</summary>
    public ListenerRateLimit? RateLimit { get; init; }

    /// <summary>Requests refused because <see cref="MaxConcurrentRequests"/> were in flight. In JSON <c>"throttled"</c>.</summary>
    [JsonPropertyName("throttled")]
    public long RequestsThrottled { get; init; }

    /// <summary>Requests refused with 429 by <see cref="RateLimit"/>. In JSON <c>"rateLimited"</c>.</summary>
    [JsonPropertyName("rateLimited")]
    public long RequestsRateLimited { get; init; }

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

    /// <summary>Whether connections start with a PROXY protocol header (<see cref="ListenerOptions.ProxyProtocol"/>).</summary>
    public ProxyProtocolMode ProxyProtocol { get; init; }

    /// <summary>
    /// Connections closed because their PROXY protocol header was missing, malformed, oversized, too slow or came from
    /// an untrusted address, since the listener started.
    /// </summary>
    public long ProxyProtocolRejected { get; init; }

    /// <summary>
    /// The proxies a PROXY protocol header is accepted from (<see cref="ListenerOptions.TrustedProxies"/>);
    /// <see langword="null"/> when none is listed (a header is then accepted from everyone), and then left out of JSON.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? TrustedProxies { get; init; }

    /// <summary>
    /// The base URL of the listener, e.g. <c>http://127.0.0.1:5080</c>; <c>http://localhost</c> for a Unix domain socket
    /// listener (the URL a client sends over the socket, e.g. <c>curl --unix-socket path http://localhost/</c>). Not serialized.
    /// </summary>
    [JsonIgnore]
    public Uri Url => _unixSocketPath is not null ? new($"{Scheme}://localhost") : new($"{Scheme}://{(EndPoint.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{EndPoint.Address}]" : EndPoint.Address.ToString())}:{EndPoint.Port}");
}
