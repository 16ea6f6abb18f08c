using System.Text.Json.Serialization;

namespace Roadrunner.AspNetCore;

/// <summary>How a drain ended. Serialized as its name (<c>"Drained"</c>, <c>"TimedOut"</c>).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<DrainOutcome>))]
public enum DrainOutcome
{
    /// <summary>Every connection closed before the deadline.</summary>
    Drained = 0,

    /// <summary>The deadline passed; the connections still open were aborted.</summary>
    TimedOut = 1,
}
