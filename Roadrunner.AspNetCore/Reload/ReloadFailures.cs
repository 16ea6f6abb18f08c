using System.Text.RegularExpressions;

namespace Roadrunner.AspNetCore.Reload;

/// <summary>
/// Turns an error message into a <see cref="ConfigurationReloadFailedEvent"/> keyed by the configuration key the message
/// names (<c>Roadrunner:Listeners:{name}:{Key}</c>), so that the log, the event and the health check point at the value
/// to fix. Separate because both building the options and applying them produce such failures.
/// </summary>
internal static partial class ReloadFailures
{
    [GeneratedRegex(@"Roadrunner:Listeners:(?<name>[A-Za-z0-9._-]+)(?::(?<key>[A-Za-z]+))?", RegexOptions.CultureInvariant)]
    private static partial Regex ListenerKey();

    /// <summary>A value that does not convert, which fails the whole section: which listener's value it is comes from the path.</summary>
    public static ConfigurationReloadFailedEvent Conversion(string message)
    {
        var match = ListenerKey().Match(message);
        return match.Success
            ? new(match.Groups["name"].Value, match.Value, message)
            : new(null, "Roadrunner", message);
    }

    /// <summary>A validation failure of the listener <paramref name="name"/>.</summary>
    public static ConfigurationReloadFailedEvent Validation(string name, string message)
    {
        var match = ListenerKey().Match(message);
        return new(name, match.Success ? match.Value : $"Roadrunner:Listeners:{name}", message);
    }
}
