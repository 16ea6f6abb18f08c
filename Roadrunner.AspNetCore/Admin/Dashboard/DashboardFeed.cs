using System.Collections.Concurrent;
using Roadrunner.AspNetCore.Diagnostics;

namespace Roadrunner.AspNetCore.Admin.Dashboard;

/// <summary>
/// The dashboard's view of running drains, fed by the library's own events, and the wake-up of its streams. It subscribes
/// to the events when the first stream opens (a dashboard that is mapped but never opened costs nothing) and only to the
/// few events it uses (listener and drain life cycle), so no per-request or per-connection payload is built for it.
/// </summary>
internal sealed class DashboardFeed : IObserver<KeyValuePair<string, object?>>, IDisposable
{
    /// <summary>How long an ended drain stays on the page with its outcome.</summary>
    public static readonly TimeSpan EndedDrainsShownFor = TimeSpan.FromSeconds(30);

    private readonly RoadrunnerDiagnostics _diagnostics;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, DrainView> _drains = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, (int Count, DateTimeOffset At)> _earlyAcknowledgements = new(StringComparer.OrdinalIgnoreCase);
    private readonly Lock _subscribeLock = new();
    private IDisposable? _subscription;
    private TaskCompletionSource _changed = NewSignal();

    public DashboardFeed(RoadrunnerDiagnostics diagnostics, TimeProvider time)
    {
        _diagnostics = diagnostics;
        _time = time;
    }

    /// <summary>Completes at the next listener or drain change; take it again after each wake-up.</summary>
    public Task Changed => Volatile.Read(ref _changed).Task;

    public TimeProvider Time => _time;

    public void EnsureSubscribed()
    {
        lock (_subscribeLock)
        {
            _subscription ??= _diagnostics.Events.Subscribe(this, static name => name is
                RoadrunnerEvents.ListenerStarted or RoadrunnerEvents.ListenerStopped or RoadrunnerEvents.DrainStarted
                or RoadrunnerEvents.DrainNotified or RoadrunnerEvents.DrainAcknowledged or RoadrunnerEvents.DrainCompleted);
        }
    }

    /// <summary>The drains to show, oldest first; ended ones past <see cref="EndedDrainsShownFor"/> are dropped.</summary>
    public List<DrainView> Drains()
    {
        var now = _time.GetUtcNow();
        foreach (var (name, drain) in _drains)
        {
            var over = drain.EndedAt ?? (drain.Soft ? drain.Deadline : null);
            if (over is { } end && now - end > EndedDrainsShownFor)
            {
                _drains.TryRemove(KeyValuePair.Create(name, drain));
            }
        }

        return [.. _drains.Values.OrderBy(d => d.StartedAt)];
    }

    public void OnNext(KeyValuePair<string, object?> value)
    {
        var now = _time.GetUtcNow();
        switch (value.Value)
        {
            case DrainStartedEvent { ListenerName: { } name } started:
                var soft = value.Key == RoadrunnerEvents.DrainNotified;
                if (!soft || !_drains.TryGetValue(name, out var running) || running.Soft || running.EndedAt is not null)
                {
                    // Handlers are told before the start event is written, so a quick one acknowledges before it: count those.
                    var early = !soft && _earlyAcknowledgements.TryRemove(name, out var pending) && now - pending.At < TimeSpan.FromSeconds(5) ? pending.Count : 0;
                    _drains[name] = new DrainView
                    {
                        ListenerName = name,
                        Soft = soft,
                        StartedAt = now,
                        Deadline = started.Deadline == DateTimeOffset.MaxValue ? null : started.Deadline,
                        ConnectionsAtStart = started.Connections,
                        Acknowledgements = early,
                    };
                }

                break;
            case DrainAcknowledgedEvent { ListenerName: { } name } when _drains.TryGetValue(name, out var drain) && drain.EndedAt is null:
                Interlocked.Increment(ref drain.Acknowledgements);
                break;
            case DrainAcknowledgedEvent { ListenerName: { } name }:
                _earlyAcknowledgements.AddOrUpdate(name, static (_, at) => (1, at), static (_, previous, at) => (previous.Count + 1, at), now);
                break;
            case DrainResult result when _drains.TryGetValue(result.ListenerName, out var drain):
                drain.Result = result;
                drain.EndedAt = now;
                break;
            default:
                break; // Listener started or stopped: only the wake-up below matters.
        }

        var previous = Interlocked.Exchange(ref _changed, NewSignal());
        previous.TrySetResult();
    }

    public void OnError(Exception error)
    {
    }

    public void OnCompleted()
    {
    }

    public void Dispose() => _subscription?.Dispose();

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
