using System.Diagnostics;
using Roadrunner.AspNetCore;

namespace Roadrunner.Bench.Server;

/// <summary>
/// When asked for (<c>?timeline=true</c> on the drain control endpoint), records when the library's drain events
/// fire, to show where a drain's time goes: before the wait (stop accepting, signals, close requests), the wait,
/// the aborts at the deadline. Off otherwise: the events are then not even built.
/// </summary>
internal sealed class DrainTimeline : IObserver<DiagnosticListener>, IObserver<KeyValuePair<string, object?>>
{
    private static long s_started;
    private static long s_drainStarted;
    private static long s_firstAbort;
    private static long s_lastAbort;
    private static long s_completed;
    private static DateTimeOffset s_startedUtc;
    private static DateTimeOffset s_deadline;
    private static volatile bool s_active;

    public static void Install() => DiagnosticListener.AllListeners.Subscribe(new DrainTimeline());

    public static void Begin()
    {
        s_drainStarted = s_firstAbort = s_lastAbort = s_completed = 0;
        s_deadline = default;
        s_startedUtc = DateTimeOffset.UtcNow;
        s_started = Stopwatch.GetTimestamp();
        s_active = true;
    }

    public static object End()
    {
        s_active = false;
        double Ms(long t) => t == 0 ? double.NaN : Math.Round(Stopwatch.GetElapsedTime(s_started, t).TotalMilliseconds, 2);
        return new
        {
            drainStartedMs = Ms(s_drainStarted),
            deadlineMs = s_deadline == default ? double.NaN : Math.Round((s_deadline - s_startedUtc).TotalMilliseconds, 2),
            firstAbortMs = Ms(s_firstAbort),
            lastAbortMs = Ms(s_lastAbort),
            completedMs = Ms(s_completed),
        };
    }

    public void OnNext(DiagnosticListener value)
    {
        if (value.Name == RoadrunnerEvents.DiagnosticListenerName)
        {
            value.Subscribe(this, name => s_active && name is RoadrunnerEvents.DrainStarted or RoadrunnerEvents.ConnectionAborted or RoadrunnerEvents.DrainCompleted);
        }
    }

    public void OnNext(KeyValuePair<string, object?> value)
    {
        var now = Stopwatch.GetTimestamp();
        switch (value.Key)
        {
            case RoadrunnerEvents.DrainStarted:
                s_drainStarted = now;
                s_deadline = ((DrainStartedEvent)value.Value!).Deadline;
                break;
            case RoadrunnerEvents.ConnectionAborted:
                if (s_firstAbort == 0)
                {
                    s_firstAbort = now;
                }

                s_lastAbort = now;
                break;
            case RoadrunnerEvents.DrainCompleted:
                s_completed = now;
                break;
        }
    }

    public void OnCompleted()
    {
    }

    public void OnError(Exception error)
    {
    }
}
