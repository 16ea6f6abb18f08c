using Microsoft.Extensions.Options;

namespace Roadrunner.AspNetCore.Reload;

/// <summary>
/// Builds <see cref="RoadrunnerOptions"/> the way the options factory does, without its validation: each listener is
/// validated on its own when applied. Separate from <see cref="ListenerConfigurationReloader"/> because it only reads
/// configuration and never touches a listener.
/// </summary>
/// <remarks>
/// The registered configure actions run directly rather than through <see cref="IOptionsMonitor{TOptions}"/>, whose
/// cache may still hold the previous value when the change token fires, and whose validation would reject every
/// listener's change for one bad one.
/// </remarks>
internal sealed class ReloadOptionsBuilder(
    IEnumerable<IConfigureOptions<RoadrunnerOptions>> setups,
    IEnumerable<IPostConfigureOptions<RoadrunnerOptions>> postSetups)
{
    /// <summary>Runs the configure actions; false (with the failure) when a value does not convert or the drain timeout is negative.</summary>
    public bool TryBuild(List<ConfigurationReloadFailedEvent> failures, out RoadrunnerOptions options)
    {
        options = new RoadrunnerOptions();
        try
        {
            foreach (var setup in setups)
            {
                if (setup is IConfigureNamedOptions<RoadrunnerOptions> named)
                {
                    named.Configure(Options.DefaultName, options);
                }
                else
                {
                    setup.Configure(options);
                }
            }

            foreach (var postSetup in postSetups)
            {
                postSetup.PostConfigure(Options.DefaultName, options);
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException or ArgumentException)
        {
            // A value that does not convert fails the whole section: which listener's value it is comes from the path.
            failures.Add(ReloadFailures.Conversion(ex.Message));
            return false;
        }

        if (options.ReloadDrainTimeout < TimeSpan.Zero)
        {
            failures.Add(new(null, "Roadrunner:ReloadDrainTimeout", $"Roadrunner:ReloadDrainTimeout: must not be negative (got {options.ReloadDrainTimeout}); nothing was reloaded."));
            return false;
        }

        return true;
    }
}
