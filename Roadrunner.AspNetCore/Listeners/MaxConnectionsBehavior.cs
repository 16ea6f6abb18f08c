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
}
