using Microsoft.Extensions.Options;

namespace Roadrunner.AspNetCore.Admin;

/// <summary>Validates <see cref="RoadrunnerAdminOptions"/> at start-up; messages name the key and the fix.</summary>
internal sealed class RoadrunnerAdminOptionsValidator : IValidateOptions<RoadrunnerAdminOptions>
{
    public const int MinApiKeyLength = 8;

    public ValidateOptionsResult Validate(string? name, RoadrunnerAdminOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var key = options.ApiKey;
        if (string.IsNullOrEmpty(key))
        {
            return ValidateOptionsResult.Success;
        }

        // A key a client cannot send as given (header values are trimmed) or one short enough to guess is a mistake.
        if (key.Trim().Length != key.Length)
        {
            return ValidateOptionsResult.Fail($"{RoadrunnerAdminOptions.SectionName}:ApiKey: must not start or end with white space; header values are trimmed, so no client could send it. Remove the spaces.");
        }

        if (key.Length < MinApiKeyLength)
        {
            return ValidateOptionsResult.Fail($"{RoadrunnerAdminOptions.SectionName}:ApiKey: must be at least {MinApiKeyLength} characters (got {key.Length}); use a random key, e.g. `openssl rand -hex 32`, or leave it empty for loopback-only access.");
        }

        foreach (var c in key)
        {
            if (c is < '\u0021' or > '\u007e')
            {
                return ValidateOptionsResult.Fail($"{RoadrunnerAdminOptions.SectionName}:ApiKey: must be printable ASCII (a header value); use e.g. `openssl rand -hex 32`.");
            }
        }

        return ValidateOptionsResult.Success;
    }
}
