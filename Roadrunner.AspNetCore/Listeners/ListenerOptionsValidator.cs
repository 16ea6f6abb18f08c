using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using Roadrunner.AspNetCore.Limits;

namespace Roadrunner.AspNetCore.Listeners;

/// <summary>
/// Validates one listener's options. Messages name the listener and the configuration key, e.g.
/// <c>Roadrunner:Listeners:admin:Port: must be between 0 and 65535 (got 70000).</c>
/// </summary>
/// <remarks>
/// Checks the name itself and composes the per-concern checks (<see cref="ListenerAddressValidation"/>,
/// <see cref="ListenerProxyProtocolValidation"/>, <see cref="ListenerConnectionCapValidation"/>,
/// <see cref="ListenerLimitsValidation"/>, <see cref="ListenerTlsValidation"/>) in a fixed order, so that the failures
/// (and the messages built from them) always list in the same order.
/// </remarks>
/// <param name="timeProvider">The clock a code certificate's validity period is checked against; <see cref="TimeProvider.System"/> if null.</param>
internal sealed partial class ListenerOptionsValidator(TimeProvider? timeProvider = null) : IValidateOptions<ListenerOptions>
{
    private readonly TimeProvider _timeProvider = timeProvider ?? TimeProvider.System;

    public const int MaxNameLength = 64;

    [GeneratedRegex(@"\A[A-Za-z0-9._-]{1,64}\z", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();

    public static bool IsValidName(string? name) => name is not null && NamePattern().IsMatch(name);

    public static string NameRule => $"Listener names are 1–{MaxNameLength} characters from [A-Za-z0-9._-].";

    public ValidateOptionsResult Validate(string? name, ListenerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        var prefix = $"Roadrunner:Listeners:{name}:";

        if (!IsValidName(name))
        {
            failures.Add($"Roadrunner:Listeners:{name}: invalid listener name '{name}'. {NameRule}");
        }

        var isUnix = ListenerAddressValidation.ValidateAddress(prefix, options, failures);
        ListenerProxyProtocolValidation.Validate(prefix, options, isUnix, failures);
        ListenerAddressValidation.ValidatePortAndProtocols(prefix, options, failures);
        ListenerConnectionCapValidation.Validate(prefix, options, failures);
        ListenerLimitsValidation.Validate(prefix, options, failures);

        if (options.DrainSpread is { } spread && spread < TimeSpan.Zero)
        {
            failures.Add($"{prefix}DrainSpread: must not be negative (got {spread}); 0 tells everyone at once, null takes Roadrunner:DrainSpread.");
        }

        ListenerTlsValidation.Validate(prefix, options, _timeProvider, failures);

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
