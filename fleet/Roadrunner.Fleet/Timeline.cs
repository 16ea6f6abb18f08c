using System.Collections.Concurrent;
using System.Diagnostics;

namespace Roadrunner.Fleet;

/// <summary>What happened, to whom.</summary>
internal enum EventKind
{
    /// <summary>An HTTP request got a complete 2xx response with the expected body.</summary>
    HttpOk,

    /// <summary>An HTTP request failed: non-2xx, reset, truncated body, timeout. Detail says which.</summary>
    HttpFailed,

    /// <summary>A WebSocket is open (upgrade done and one message echoed). Code 1 for a reconnect, 0 for the first.</summary>
    WsConnected,

    /// <summary>A WebSocket connect attempt failed. Code 1 for a reconnect, 0 for the first.</summary>
    WsConnectFailed,

    /// <summary>The server closed a WebSocket. Code is the close status, or -1 when there was no close frame.</summary>
    WsClosed,

    /// <summary>An SSE stream started (200 and its headers).</summary>
    SseStarted,

    /// <summary>An SSE stream could not start (connect error or non-200).</summary>
    SseConnectFailed,

    /// <summary>An SSE stream ended. Detail: drain (last event was "drain"), no-drain (clean end without it), broken.</summary>
    SseEnded,

    /// <summary>An orchestration step (SIGTERM, exit, restart, healthy, balancer state). Detail names it.</summary>
    Marker,
}

/// <summary>One event: milliseconds since the configuration started, the instance (1-based; 0 unknown), a code and a detail.</summary>
internal readonly record struct FleetEvent(double T, EventKind Kind, int Server, int Code, string? Detail);

/// <summary>Every event of one configuration's run, from any thread, on one monotonic clock.</summary>
internal sealed class Timeline
{
    private readonly long _start = Stopwatch.GetTimestamp();

    /// <summary>The wall-clock time of ms 0, to line the timeline up with the instances' logs.</summary>
    public DateTimeOffset StartUtc { get; } = DateTimeOffset.UtcNow;
    private readonly ConcurrentQueue<FleetEvent> _events = new();

    public double Now => Stopwatch.GetElapsedTime(_start).TotalMilliseconds;

    public void Add(EventKind kind, int server = 0, int code = 0, string? detail = null) =>
        _events.Enqueue(new FleetEvent(Now, kind, server, code, detail));

    public void Marker(int server, string what, int code = 0)
    {
        Add(EventKind.Marker, server, code, what);
        Console.WriteLine($"  {Now / 1000,7:0.00}s  {(server > 0 ? $"srv{server} " : "")}{what}{(what == "exited" ? $" (code {code})" : "")}");
    }

    public IReadOnlyList<FleetEvent> Snapshot() => [.. _events.OrderBy(e => e.T)];

    /// <summary>Counts events of <paramref name="kind"/> so far (for progress checks while running).</summary>
    public int Count(EventKind kind) => _events.Count(e => e.Kind == kind);

    /// <summary>
    /// The instance that served a response, from the header HAProxy adds (<c>X-Fleet-Server: srv2</c> → 2); 0 if absent.
    /// </summary>
    public static int ServerOf(string? header) =>
        header is { Length: > 3 } && header.StartsWith("srv", StringComparison.Ordinal) && int.TryParse(header.AsSpan(3), out var n) ? n : 0;
}
