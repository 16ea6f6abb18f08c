using Microsoft.Extensions.Options;
using Roadrunner.AspNetCore.Listeners;

namespace Roadrunner.AspNetCore.Hosting;

/// <summary>Validates the configured listeners at start-up (<c>ValidateOnStart</c>); messages name listener and key.</summary>
internal sealed class RoadrunnerOptionsValidator : IValidateOptions<RoadrunnerOptions>
{
    private readonly ListenerOptionsValidator _listenerValidator = new();

    public ValidateOptionsResult Validate(string? name, RoadrunnerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var builder = new ValidateOptionsResultBuilder();
        if (options.ShutdownDrainMargin < TimeSpan.Zero)
        {
            builder.AddError($"must not be negative (got {options.ShutdownDrainMargin}).", "Roadrunner:ShutdownDrainMargin");
        }

        foreach (var (listenerName, listenerOptions) in options.Listeners)
        {
            if (listenerOptions is null)
            {
                builder.AddError("is empty.", $"Roadrunner:Listeners:{listenerName}");
                continue;
            }

            builder.AddResult(_listenerValidator.Validate(listenerName, listenerOptions));
        }

        return builder.Build();
    }
}
