using System.Globalization;
using System.Net;

namespace Roadrunner.AspNetCore.Serialization;

/// <summary>
/// The JSON face of endpoints and durations in the public records: an endpoint is an address string plus a port, a
/// duration a whole number of milliseconds. The records keep <see cref="IPEndPoint"/> and <see cref="TimeSpan"/>
/// for code and expose these as extra properties whose <c>init</c> accessors rebuild the typed value, so that
/// deserialization works with reflection, with <see cref="RoadrunnerJsonContext"/> and with an application's own
/// source-generated context alike.
/// </summary>
internal static class JsonShape
{
    /// <summary>The address of an endpoint as text: <c>127.0.0.1</c>, <c>::1</c>; other endpoint kinds as they print.</summary>
    public static string? AddressOf(EndPoint? endPoint) => endPoint switch
    {
        null => null,
        IPEndPoint ip => ip.Address.ToString(),
        _ => endPoint.ToString(),
    };

    /// <summary>The port of an IP endpoint; <see langword="null"/> for none or another kind of endpoint.</summary>
    public static int? PortOf(EndPoint? endPoint) => (endPoint as IPEndPoint)?.Port;

    /// <summary><paramref name="current"/> with its address replaced (port 0 when there was none).</summary>
    public static IPEndPoint WithAddress(EndPoint? current, string address) =>
        new(Parse(address), (current as IPEndPoint)?.Port ?? 0);

    /// <summary><paramref name="current"/> with its port replaced (address <see cref="IPAddress.Any"/> when there was none).</summary>
    public static IPEndPoint WithPort(EndPoint? current, int port) =>
        new((current as IPEndPoint)?.Address ?? IPAddress.Any, port);

    /// <summary>A duration in whole milliseconds, truncated toward zero.</summary>
    public static long Milliseconds(TimeSpan duration) => (long)duration.TotalMilliseconds;

    private static IPAddress Parse(string address)
    {
        ArgumentNullException.ThrowIfNull(address);
        return IPAddress.TryParse(address, out var parsed)
            ? parsed
            : throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"'{address}' is not an IP address literal."));
    }
}
