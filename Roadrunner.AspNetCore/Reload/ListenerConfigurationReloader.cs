using System.Text.RegularExpressions;
using System.Threading.Channels;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Roadrunner.AspNetCore.Diagnostics;
using Roadrunner.AspNetCore.Listeners;

namespace Roadrunner.AspNetCore.Reload;

/// <summary>
/// Applies changes of <c>Roadrunner:Listeners</c> while the app runs: added listeners start, removed ones drain with
/// <see cref="RoadrunnerOptions.ReloadDrainTimeout"/>, changed limits apply live, and a changed address, port, protocols or
/// TLS starts the new listener and then drains the old. Only listeners that configuration started are touched.
/// </summary>
/// <remarks>
/// Changes are compared with what the previous reload applied (not with the running listener), so a reload acts only on
/// the listeners whose configuration changed, and a change that failed is tried again by every later reload until it
/// succeeds. A failure is per listener: it is logged, raised as an event and shown by the health check, and the others
/// still apply; a section that cannot be read at all (a value that does not convert) changes nothing. The options are
/// built by running the registered configure actions directly rather than through <see cref="IOptionsMonitor{TOptions}"/>,
/// whose cache may still hold the previous value when the change token fires, and whose validation would reject every
/// listener's change for one bad one.
/// </remarks>
internal sealed partial class ListenerConfigurationReloader : IAsyncDisposable
{
    private readonly ListenerManager _manager;
    private readonly IEnumerable<IConfigureOptions<RoadrunnerOptions>> _setups;
    private readonly IEnumerable<IPostConfigureOptions<RoadrunnerOptions>> _postSetups;
    private readonly IEnumerable<IOptionsChangeTokenSource<RoadrunnerOptions>> _tokenSources;
    private readonly RoadrunnerDiagnostics _diagnostics;
    private readonly IConfiguration _configuration;

    // Capacity 1, extra writes dropped: a burst of change notifications (file watchers report a save twice) becomes at
    // most one reload running and one queued, and reloads never overlap.
    private readonly Channel<bool> _changes = Channel.CreateBounded<bool>(new BoundedChannelOptions(1)
    {
        FullMode = BoundedChannelFullMode.DropWrite,
        SingleReader = true,
    });

    private readonly CancellationTokenSource _stopping = new();
    private readonly List<IDisposable> _registrations = [];
    private readonly Dictionary<string, ListenerOptions> _applied = new(StringComparer.OrdinalIgnoreCase);
    private Task _loop = Task.CompletedTask;
    private int _disposed;

    public ListenerConfigurationReloader(
        ListenerManager manager,
        IEnumerable<IConfigureOptions<RoadrunnerOptions>> setups,
        IEnumerable<IPostConfigureOptions<RoadrunnerOptions>> postSetups,
        IEnumerable<IOptionsChangeTokenSource<RoadrunnerOptions>> tokenSources,
        RoadrunnerDiagnostics diagnostics,
        IConfiguration configuration)
    {
        _configuration = configuration;
        _manager = manager;
        _setups = setups;
        _postSetups = postSetups;
        _tokenSources = tokenSources;
        _diagnostics = diagnostics;
    }

    [GeneratedRegex(@"Roadrunner:Listeners:(?<name>[A-Za-z0-9._-]+)(?::(?<key>[A-Za-z]+))?", RegexOptions.CultureInvariant)]
    private static partial Regex ListenerKey();

    /// <summary>Starts watching, with the listeners the app started from configuration.</summary>
    public void Start(IEnumerable<KeyValuePair<string, ListenerOptions>> startedWith)
    {
        foreach (var (name, options) in startedWith)
        {
            _applied[name] = options.Clone();
        }

        foreach (var source in _tokenSources.Where(s => (s.Name ?? Options.DefaultName) == Options.DefaultName))
        {
            _registrations.Add(ChangeToken.OnChange(source.GetChangeToken, () => _changes.Writer.TryWrite(true)));
        }

        // A change between the start-up snapshot and the subscription above would be missed: compare once now.
        _changes.Writer.TryWrite(true);
        _loop = RunAsync();
    }

    /// <summary>Stops watching and waits for a reload in progress (host shutdown drains what it started). Idempotent.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        foreach (var registration in _registrations)
        {
            registration.Dispose();
        }

        _changes.Writer.TryComplete();
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stopping.Dispose();
    }

    private async Task RunAsync()
    {
        try
        {
            while (await _changes.Reader.WaitToReadAsync(_stopping.Token).ConfigureAwait(false))
            {
                _changes.Reader.TryRead(out _);
                if (_manager.IsShuttingDown)
                {
                    continue;
                }

                try
                {
                    await ReloadAsync(_stopping.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception ex)
                {
                    // A reload must never take the app down, nor end the watching.
                    RoadrunnerLog.ConfigurationReloadCrashed(_diagnostics.HostingLogger, ex);
                }
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
    }

    /// <summary>One reload: compares the configuration with what was last applied and acts on each listener that changed.</summary>
    internal async Task ReloadAsync(CancellationToken cancellationToken)
    {
        var failures = new List<ConfigurationReloadFailedEvent>();
        if (!TryBuild(failures, out var desired))
        {
            Finish(failures, [], [], [], []);
            return;
        }

        // .NET's file provider reads a file that fails to parse as empty: that must not drain every configured listener.
        if (desired.Listeners.Count == 0 && _applied.Count > 0 && !_configuration.GetSection("Roadrunner").Exists())
        {
            failures.Add(new(null, "Roadrunner", "The Roadrunner section is missing (a configuration file that fails to parse reads as empty), so no listener was removed. " +
                "To remove every configured listener, keep the section: \"Roadrunner\": { \"Listeners\": {} }."));
            Finish(failures, [], [], [], []);
            return;
        }

        var drainTimeout = desired.ReloadDrainTimeout;
        List<string> started = [], updated = [], replaced = [], removed = [];

        foreach (var name in _applied.Keys.Where(n => !desired.Listeners.ContainsKey(n)).ToList())
        {
            _applied.Remove(name);
            if (_manager.Find(name) is { Origin: ListenerOrigin.Configuration } listener && listener.DrainAsync(drainTimeout) is not null)
            {
                removed.Add(name); // The drain runs on; it logs and raises its own result.
            }
        }

        foreach (var (name, options) in desired.Listeners)
        {
            if (options is null)
            {
                failures.Add(new(name, $"Roadrunner:Listeners:{name}", "The listener's section is empty."));
                continue;
            }

            if (_applied.TryGetValue(name, out var previous) && !Differs(previous, options))
            {
                continue; // Unchanged since the last reload: running or not, nothing to do.
            }

            try
            {
                var running = _manager.Find(name);
                if (running is { Origin: ListenerOrigin.Code })
                {
                    failures.Add(new(name, $"Roadrunner:Listeners:{name}",
                        $"The name '{name}' belongs to a listener started from code (IListenerManager.StartAsync), which a reload never touches. Stop that listener, or give the configured one another name."));
                    continue;
                }

                if (running is null)
                {
                    await _manager.StartAsync(name, options, ListenerOrigin.Configuration, cancellationToken).ConfigureAwait(false);
                    started.Add(name);
                }
                else if (running.State == ListenerState.Draining
                    || ListenerOptionsChanges.FirstFixedChange(running.Options, options, running.EndPoint) is not null)
                {
                    var reason = ListenerOptionsChanges.FirstFixedChange(running.Options, options, running.EndPoint) is { } key
                        ? $"{key} changed"
                        : "re-added while its previous instance drains";
                    var oldEndPoint = running.EndPoint.ToString() ?? string.Empty;
                    var (info, _) = await _manager.ReplaceAsync(running, options, drainTimeout, cancellationToken).ConfigureAwait(false);
                    RoadrunnerLog.ListenerReplaced(_diagnostics.ListenersLogger, name, reason, info.Url.GetLeftPart(UriPartial.Authority), oldEndPoint, drainTimeout);
                    replaced.Add(name);
                }
                else
                {
                    _manager.Update(running, options);
                    updated.Add(name);
                }

                _applied[name] = options.Clone();
            }
            catch (OptionsValidationException ex)
            {
                failures.AddRange(ex.Failures.Select(f => Failure(name, f)));
            }
            catch (ListenerBindException ex)
            {
                failures.Add(new(name, $"Roadrunner:Listeners:{name}:Port", ex.Message));
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                failures.Add(new(name, $"Roadrunner:Listeners:{name}", ex.Message));
            }
        }

        Finish(failures, started, updated, replaced, removed);
    }

    private static bool Differs(ListenerOptions previous, ListenerOptions next) =>
        ListenerOptionsChanges.FirstFixedChange(previous, next) is not null || ListenerOptionsChanges.LiveDiffers(previous, next);

    /// <summary>What the options factory does, without its validation: each listener is validated on its own.</summary>
    private bool TryBuild(List<ConfigurationReloadFailedEvent> failures, out RoadrunnerOptions options)
    {
        options = new RoadrunnerOptions();
        try
        {
            foreach (var setup in _setups)
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

            foreach (var postSetup in _postSetups)
            {
                postSetup.PostConfigure(Options.DefaultName, options);
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException or ArgumentException)
        {
            // A value that does not convert fails the whole section: which listener's value it is comes from the path.
            var match = ListenerKey().Match(ex.Message);
            failures.Add(match.Success
                ? new(match.Groups["name"].Value, match.Value, ex.Message)
                : new(null, "Roadrunner", ex.Message));
            return false;
        }

        if (options.ReloadDrainTimeout < TimeSpan.Zero)
        {
            failures.Add(new(null, "Roadrunner:ReloadDrainTimeout", $"Roadrunner:ReloadDrainTimeout: must not be negative (got {options.ReloadDrainTimeout}); nothing was reloaded."));
            return false;
        }

        return true;
    }

    private static ConfigurationReloadFailedEvent Failure(string name, string message)
    {
        var match = ListenerKey().Match(message);
        return new(name, match.Success ? match.Value : $"Roadrunner:Listeners:{name}", message);
    }

    private void Finish(
        List<ConfigurationReloadFailedEvent> failures, List<string> started, List<string> updated, List<string> replaced, List<string> removed)
    {
        // Readiness shows a bad edit until a reload applies everything; set before the events go out, so whoever reacts
        // to one already sees it in the health check.
        _manager.ReloadProblem = failures.Count == 0
            ? null
            : $"Configuration reload failed: {string.Join(" ", failures.Select(f => f.Message))} Listeners keep their previous configuration until a reload succeeds.";

        foreach (var failure in failures)
        {
            RoadrunnerLog.ConfigurationReloadFailed(_diagnostics.HostingLogger, failure.Key, failure.ListenerName, failure.Message);
            _diagnostics.Write(RoadrunnerEvents.ConfigurationReloadFailed, failure, static f => f);
        }

        if (started.Count + updated.Count + replaced.Count + removed.Count == 0)
        {
            return;
        }

        RoadrunnerLog.ConfigurationReloaded(
            _diagnostics.HostingLogger, string.Join(", ", started), string.Join(", ", updated), string.Join(", ", replaced), string.Join(", ", removed));
        _diagnostics.Write(
            RoadrunnerEvents.ConfigurationReloaded,
            (started, updated, replaced, removed),
            static s => new ConfigurationReloadedEvent(s.started, s.updated, s.replaced, s.removed));
    }
}
