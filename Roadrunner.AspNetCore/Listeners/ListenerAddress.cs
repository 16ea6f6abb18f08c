using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace Roadrunner.AspNetCore.Listeners;

/// <summary>
/// The spellings <see cref="ListenerOptions.Address"/> accepts: a canonical IPv4 dotted quad, or an IPv6 literal with or
/// without brackets (scope ids allowed). <see cref="IPAddress.TryParse(string, out IPAddress)"/> alone is too lenient: it
/// takes inet_aton forms, so "0", "0x0" or "000.000.000.000" would bind every interface and "127.1" means 127.0.0.1.
/// </summary>
internal static partial class ListenerAddress
{
    public const string Examples =
        "Use a dotted quad such as 127.0.0.1 or 0.0.0.0 (every IPv4 interface), or an IPv6 address such as ::1, [::1], " +
        "fe80::1%eth0 or :: (every interface). Host names are not resolved.";

    // Four decimal parts 0–255, no leading zeros (a leading zero means octal to inet_aton and to some readers).
    [GeneratedRegex(@"\A(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\z", RegexOptions.CultureInvariant)]
    private static partial Regex DottedQuad();

    /// <summary>Parses an address; on failure <paramref name="problem"/> says why, to follow "is not an IP address literal".</summary>
    public static bool TryParse(string? text, out IPAddress address, out string problem)
    {
        address = IPAddress.None;
        problem = string.Empty;
        if (string.IsNullOrWhiteSpace(text))
        {
            problem = " (it is empty)";
            return false;
        }

        if (text.Any(char.IsWhiteSpace))
        {
            problem = " (it contains white space)";
            return false;
        }

        if (!text.Contains(':', StringComparison.Ordinal))
        {
            if (DottedQuad().IsMatch(text))
            {
                address = IPAddress.Parse(text);
                return true;
            }

            problem = IPAddress.TryParse(text, out var lenient) && lenient.AddressFamily == AddressFamily.InterNetwork
                ? $" in canonical form: it would be read as {lenient}. IPv4 is four decimal numbers 0–255 without leading zeros"
                : string.Empty;
            return false;
        }

        return TryParseIPv6(text, out address, out problem);
    }

    private static bool TryParseIPv6(string text, out IPAddress address, out string problem)
    {
        address = IPAddress.None;
        problem = string.Empty;
        var inner = text;
        if (text.StartsWith('['))
        {
            // IPAddress would take "[::1]:80" and drop the port.
            if (!text.EndsWith(']'))
            {
                problem = text.Contains("]:", StringComparison.Ordinal) ? " (the port goes in Port, not in Address)" : " (unbalanced brackets)";
                return false;
            }

            inner = text[1..^1];
        }

        if (inner.Contains('[', StringComparison.Ordinal) || inner.Contains(']', StringComparison.Ordinal)
            || !IPAddress.TryParse(inner, out var parsed) || parsed.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return false;
        }

        // An embedded IPv4 tail (::ffff:127.0.0.1) follows the IPv4 rule too.
        var scopeStart = inner.IndexOf('%', StringComparison.Ordinal);
        var body = scopeStart < 0 ? inner : inner[..scopeStart];
        var tail = body[(body.LastIndexOf(':') + 1)..];
        if (tail.Contains('.', StringComparison.Ordinal) && !DottedQuad().IsMatch(tail))
        {
            problem = $" in canonical form: the IPv4 part '{tail}' is not four decimal numbers 0–255 without leading zeros";
            return false;
        }

        // IPAddress quietly drops a scope it cannot resolve (fe80::1%nosuch becomes fe80::1).
        if (scopeStart >= 0 && parsed.ScopeId == 0 && inner[(scopeStart + 1)..] != "0")
        {
            problem = $" (no network interface '{inner[(scopeStart + 1)..]}' for the scope id)";
            return false;
        }

        address = parsed;
        return true;
    }
}
