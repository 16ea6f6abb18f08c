using System.Text.Json.Serialization;

namespace Roadrunner.AspNetCore;

/// <summary>The HTTP versions a listener serves. Serialized as its name (<c>"Http1"</c>, <c>"Http2"</c>, <c>"Http1AndHttp2"</c>).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ListenerProtocols>))]
public enum ListenerProtocols
{
    /// <summary>HTTP/1.1 (and HTTP/1.0). The default.</summary>
    Http1 = 0,

    /// <summary>
    /// HTTP/2 only: prior-knowledge h2c on plaintext listeners, or h2 negotiated by ALPN with TLS.
    /// </summary>
    Http2 = 1,

    /// <summary>
    /// HTTP/1.1 and HTTP/2, chosen per connection by ALPN. Requires TLS: plaintext connections cannot
    /// negotiate, so a plaintext listener with this value is a validation error.
    /// </summary>
    Http1AndHttp2 = 2,
}
