using Roadrunner.AspNetCore.Diagnostics;
using Roadrunner.AspNetCore.Listeners;

namespace Roadrunner.AspNetCore.Reload;

/// <summary>
/// Reports what one configuration reload did: the health check's problem, then the failure logs and events, then the
/// summary log and event of what started, changed, was replaced or removed. Separate from
/// <see cref="ListenerConfigurationReloader"/> so that every reload, whichever way it ends, reports the same way.
/// </summary>
internal sealed class ListenerReloadReporter(ListenerManager manager, RoadrunnerDiagnostics diagnostics)
{
    public void Report(
        List<ConfigurationReloadFailedEvent> failures, List<string> started, List<string> updated, List<string> replaced, List<string> removed)
    {
        // Readiness shows a bad edit until a reload applies everything; set before the events go out, so whoever reacts
        // to one already sees it in the health check.
        manager.ReloadProblem = failures.Count == 0
            ? null
            : $"Configuration reload failed: {string.Join(" ", failures.Select(f => f.Message))} Listeners keep their previous configuration until a reload succeeds.";

        foreach (var failure in failures)
        {
            RoadrunnerLog.ConfigurationReloadFailed(diagnostics.HostingLogger, failure.Key, failure.ListenerName, failure.Message);
            diagnostics.Write(RoadrunnerEvents.ConfigurationReloadFailed, failure, static f => f);
        }

        if (started.Count + updated.Count + replaced.Count + removed.Count == 0)
        {
            return;
        }

        RoadrunnerLog.ConfigurationReloaded(
            diagnostics.HostingLogger, string.Join(", ", started), string.Join(", ", updated), string.Join(", ", replaced), string.Join(", ", removed));
        diagnostics.Write(
            RoadrunnerEvents.ConfigurationReloaded,
            (started, updated, replaced, removed),
            static s => new ConfigurationReloadedEvent(s.started, s.updated, s.replaced, s.removed));
    }
}
