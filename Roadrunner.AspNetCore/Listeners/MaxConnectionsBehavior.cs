using System.Text.Json.Serialization;

namespace Roadrunner.AspNetCore;

/// <summary>
/// What a listener does with a connection that arrives when <see cref="ListenerOptions.MaxConnections"/> are open.
/// Serialized as its name.
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<MaxConnectionsBehavior>))]
public enum MaxConnectionsBehavior
{
    /// <summary>Accept it and close it at once without a byte (the default; counted as rejected).</summary>
    Close = 0,

    /// <summary>
    /// Stop accepting while at the cap, as ranch and HAProxy do: new connects wait in the kernel's backlog
    /// (<c>SocketTransportOptions.Backlog</c>) and are served, without a reconnect, as open connections close.
    /// </summary>
    Backlog = 1,

    /// <summary>
    /// Accept it, answer its first request <c>503 Service Unavailable</c> with <c>Retry-After: 1</c> and
    /// <c>Connection: close</c> (HTTP/2: the stream is answered 503 and the connection gets a GOAWAY), then close it.
    /// At most <see cref="ListenerOptions.MaxConnections"/> such connections (and no more than 1,000) are open at once;
    /// past that, and for one that sends nothing within 5 s, the connection is closed without a byte, as with
    /// <see cref="Close"/>. Counted as rejected.
    /// </summary>
    ServiceUnavailable = 2,
}
