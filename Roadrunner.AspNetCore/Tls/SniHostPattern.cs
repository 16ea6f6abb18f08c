using System.Text.RegularExpressions;

namespace Roadrunner.AspNetCore.Tls;

/// <summary>The host patterns <see cref="ListenerOptions.SniCertificates"/> accepts: a DNS name, or <c>*.</c> and a DNS name.</summary>
internal static partial class SniHostPattern
{
    public const string Rule = "Use a DNS host name (api.example.com) or a one-label wildcard (*.example.com); IP addresses are never sent as SNI, and other wildcards are not supported.";

    // Labels of letters, digits and inner hyphens, 1–63 characters, at least two labels after a wildcard.
    [GeneratedRegex(@"\A(\*\.)?(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*\z", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();

    public static bool IsValid(string? host) =>
        host is { Length: > 0 and <= 253 }
        && Pattern().IsMatch(host)
        && !(host.StartsWith("*.", StringComparison.Ordinal) && !host.AsSpan(2).Contains('.'))
        && !System.Net.IPAddress.TryParse(host, out _);
}
