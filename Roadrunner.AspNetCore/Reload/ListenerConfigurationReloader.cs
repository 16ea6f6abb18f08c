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
/// still apply; a section that cannot be read at all (a value that does not convert) changes nothing. This class watches
/// and applies: the options are built by <see cref="ReloadOptionsBuilder"/> (not through
/// <see cref="IOptionsMonitor{TOptions}"/>: see there why), what to do is decided by <see cref="ListenerReloadPlanner"/>,
/// and the outcome is reported by <see cref="ListenerReloadReporter"/>.
/// </remarks>
internal sealed class ListenerConfigurationReloader : IAsyncDisposable
{
    private readonly ListenerManager _manager;
    private readonly ReloadOptionsBuilder _optionsBuilder;
    private readonly ListenerReloadReporter _reporter;
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
        _optionsBuilder = new ReloadOptionsBuilder(setups, postSetups);
        _tokenSources = tokenSources;
        _diagnostics = diagnostics;
        _reporter = new ListenerReloadReporter(manager, diagnostics);
    }

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
        if (!_optionsBuilder.TryBuild(failures, out var desired))
        {
            _reporter.Report(failures, [], [], [], []);
            return;
        }

        var plan = ListenerReloadPlanner.Plan(_applied, desired, _configuration.GetSection("Roadrunner").Exists());
        if (plan.SectionMissing)
        {
            failures.Add(new(null, "Roadrunner", "The Roadrunner section is missing (a configuration file that fails to parse reads as empty), so no listener was removed. " +
                "To remove every configured listener, keep the section: \"Roadrunner\": { \"Listeners\": {} }."));
            _reporter.Report(failures, [], [], [], []);
            return;
        }

        var drainTimeout = desired.ReloadDrainTimeout;
        List<string> started = [], updated = [], replaced = [], removed = [];

        foreach (var name in plan.Removed)
        {
            _applied.Remove(name);
            if (_manager.Find(name) is { Origin: ListenerOrigin.Configuration } listener && listener.DrainAsync(drainTimeout) is not null)
            {
                removed.Add(name); // The drain runs on; it logs and raises its own result.
            }
        }

        foreach (var (name, options) in plan.Changed)
        {
            if (options is null)
            {
                failures.Add(new(name, $"Roadrunner:Listeners:{name}", "The listener's section is empty."));
                continue;
            }

            try
            {
                var running = _manager.Find(name);
                switch (ListenerReloadPlanner.Decide(running, options, out var reason))
                {
                    case ListenerReloadAction.Refuse:
                        failures.Add(new(name, $"Roadrunner:Listeners:{name}",
                            $"The name '{name}' belongs to a listener started from code (IListenerManager.StartAsync), which a reload never touches. Stop that listener, or give the configured one another name."));
                        continue;
                    case ListenerReloadAction.Start:
                        await _manager.StartAsync(name, options, ListenerOrigin.Configuration, cancellationToken).ConfigureAwait(false);
                        started.Add(name);
                        break;
                    case ListenerReloadAction.Replace:
                        var oldEndPoint = running!.EndPoint.ToString() ?? string.Empty;
                        var (info, _) = await _manager.ReplaceAsync(running, options, drainTimeout, cancellationToken).ConfigureAwait(false);
                        RoadrunnerLog.ListenerReplaced(_diagnostics.ListenersLogger, name, reason!, info.Url.GetLeftPart(UriPartial.Authority), oldEndPoint, drainTimeout);
                        replaced.Add(name);
                        break;
                    default:
                        _manager.Update(running!, options);
                        updated.Add(name);
                        break;
                }

                _applied[name] = options.Clone();
            }
            catch (OptionsValidationException ex)
            {
                failures.AddRange(ex.Failures.Select(f => ReloadFailures.Validation(name, f)));
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

        _reporter.Report(failures, started, updated, replaced, removed);
    }
}
