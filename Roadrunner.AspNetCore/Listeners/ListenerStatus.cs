using System.Text.Json.Serialization;

namespace Roadrunner.AspNetCore;

/// <summary>The life-cycle state of a listener. Serialized as its name (<c>"Accepting"</c>, <c>"Draining"</c>, ...).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ListenerStatus>))]
public enum ListenerStatus
{
    /// <summary>The listen socket is bound and new connections are accepted.</summary>
    Accepting = 0,

    /// <summary>
    /// The listen socket is closed; open connections have been told to finish and are being waited on.
    /// </summary>
    Draining = 1,

    /// <summary>The listener has been stopped or has finished draining and is no longer registered.</summary>
    Stopped = 2,

    /// <summary>
    /// The listen socket stays bound but nothing is accepted: connects wait in the kernel's backlog (not refused) and
    /// are served after a resume; open connections keep serving.
    /// </summary>
    Suspended = 3,
}
