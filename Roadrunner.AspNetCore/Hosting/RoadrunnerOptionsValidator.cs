using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Roadrunner.AspNetCore.Listeners;

namespace Roadrunner.AspNetCore.Hosting;

/// <summary>Validates the configured listeners at start-up (<c>ValidateOnStart</c>); messages name listener and key.</summary>
internal sealed class RoadrunnerOptionsValidator(IOptions<HostOptions> hostOptions) : IValidateOptions<RoadrunnerOptions>
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

        if (options.ShutdownDelay < TimeSpan.Zero)
        {
            builder.AddError($"must not be negative (got {options.ShutdownDelay}).", "Roadrunner:ShutdownDelay");
        }

        if (options.DrainSpread < TimeSpan.Zero)
        {
            builder.AddError($"must not be negative (got {options.DrainSpread}).", "Roadrunner:DrainSpread");
        }

        if (options.ReloadDrainTimeout < TimeSpan.Zero)
        {
            builder.AddError($"must not be negative (got {options.ReloadDrainTimeout}); 0 aborts a removed listener's connections at once.", "Roadrunner:ReloadDrainTimeout");
        }

        // A delay that leaves no time to drain would cut every long-lived connection at the host's timeout.
        var shutdownTimeout = hostOptions.Value.ShutdownTimeout;
        if (options.ShutdownDelay > TimeSpan.Zero && shutdownTimeout != Timeout.InfiniteTimeSpan
            && options.ShutdownDelay + options.ShutdownDrainMargin >= shutdownTimeout)
        {
            builder.AddError(
                $"{options.ShutdownDelay} plus Roadrunner:ShutdownDrainMargin {options.ShutdownDrainMargin} leaves no time to drain within the host's " +
                $"ShutdownTimeout {shutdownTimeout} (host setting shutdownTimeoutSeconds, DOTNET_SHUTDOWNTIMEOUTSECONDS, or HostOptions.ShutdownTimeout). " +
                "Raise the shutdown timeout (and Kubernetes terminationGracePeriodSeconds above it), or shorten the delay or the margin.",
                "Roadrunner:ShutdownDelay");
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
