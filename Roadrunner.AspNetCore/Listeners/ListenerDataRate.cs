using System.Text.Json.Serialization;
using Roadrunner.AspNetCore.Serialization;

namespace Roadrunner.AspNetCore;

/// <summary>
/// A minimum data rate, as Kestrel's <c>MinDataRate</c>: after <see cref="GracePeriod"/>, a request body arriving slower
/// than <see cref="BytesPerSecond"/> is cut. Bound from <c>Roadrunner:Listeners:{name}:MinRequestBodyDataRate:BytesPerSecond</c>
/// and <c>...:GracePeriod</c>.
/// </summary>
/// <remarks>JSON: <c>{"bytesPerSecond","gracePeriodMs"}</c>.</remarks>
public sealed record ListenerDataRate
{
    /// <summary>The least bytes per second the client must send; greater than 0.</summary>
    public double BytesPerSecond { get; set; }

    /// <summary>
    /// How long the client may send slower before it is cut; more than 1 s (Kestrel checks the rate once per second).
    /// Not serialized: JSON has <see cref="GracePeriodMs"/>.
    /// </summary>
    [JsonIgnore]
    public TimeSpan GracePeriod { get; set; }

    /// <summary><see cref="GracePeriod"/> in whole milliseconds. In JSON <c>"gracePeriodMs"</c>; setting it sets <see cref="GracePeriod"/>.</summary>
    public long GracePeriodMs
    {
        get => JsonShape.Milliseconds(GracePeriod);
        set => GracePeriod = TimeSpan.FromMilliseconds(value);
    }
}
