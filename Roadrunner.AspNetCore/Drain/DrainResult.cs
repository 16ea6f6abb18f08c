using System.Text.Json.Serialization;
using Roadrunner.AspNetCore.Serialization;

namespace Roadrunner.AspNetCore;

/// <summary>What a drain did, returned by <see cref="IListenerManager.DrainAsync"/>.</summary>
/// <remarks>
/// Serializes with System.Text.Json as it is (web defaults, or <see cref="RoadrunnerJsonContext"/>), as
/// <c>{"listenerName","outcome","gracefulConnections","abortedConnections","acknowledgements","elapsedMs","lastSignalAt"}</c>:
/// <see cref="Outcome"/> as a string, <see cref="Elapsed"/> as <see cref="ElapsedMs"/>.
/// </remarks>
/// <param name="ListenerName">The drained listener.</param>
/// <param name="Outcome"><see cref="DrainOutcome.Drained"/> or <see cref="DrainOutcome.TimedOut"/>.</param>
/// <param name="GracefulConnections">Connections open when the drain began that closed before the deadline.</param>
/// <param name="AbortedConnections">Connections still open at the deadline, which were aborted.</param>
/// <param name="Acknowledgements">Calls to <c>AcknowledgeDrain</c> on this listener's requests during the drain.</param>
/// <param name="Elapsed">Time from the drain call to its end. Not serialized: JSON has <see cref="ElapsedMs"/>.</param>
public sealed record DrainResult(
    string ListenerName,
    DrainOutcome Outcome,
    int GracefulConnections,
    int AbortedConnections,
    int Acknowledgements,
    [property: JsonIgnore] TimeSpan Elapsed)
{
    /// <summary>
    /// <see cref="Elapsed"/> in whole milliseconds (truncated). In JSON <c>"elapsedMs"</c>; setting it sets
    /// <see cref="Elapsed"/>.
    /// </summary>
    public long ElapsedMs
    {
        get => JsonShape.Milliseconds(Elapsed);
        init => Elapsed = TimeSpan.FromMilliseconds(value);
    }

    /// <summary>
    /// When the drain signal reached the last of the listener's requests: with a <see cref="ListenerOptions.DrainSpread"/>
    /// the end of the spread (or the drain's end, if every connection was gone before it), otherwise the drain's start.
    /// <see langword="null"/> for a result built by hand, and then left out of JSON.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public DateTimeOffset? LastSignalAt { get; init; }
}
