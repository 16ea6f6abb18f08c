using System.Diagnostics;
using System.Diagnostics.Metrics;
using Roadrunner.AspNetCore.Listeners;

namespace Roadrunner.AspNetCore.Diagnostics;

/// <summary>
/// Instruments of the <c>Roadrunner.AspNetCore</c> meter, each tagged with the listener name. Current state
/// (listeners, open connections) is observed when a collector asks, so a listener attaching at any moment reads the
/// truth, and a listener that is gone has no series; events (connections, requests, drains) are counters and histograms.
/// </summary>
internal sealed class RoadrunnerMetrics
{
    public const string ListenerNameTag = "roadrunner.listener.name";
    public const string ListenerStatusTag = "roadrunner.listener.status";
    public const string OutcomeTag = "roadrunner.drain.outcome";
    public const string EndReasonTag = "roadrunner.connection.end_reason";
    public const string LimitReasonTag = "roadrunner.limit.reason";

    // Drains take from milliseconds (nothing open) to minutes (long deadlines): OpenTelemetry's default buckets
    // (0–10,000, made for milliseconds) would put every drain under 5 s into one bucket.
    private static readonly double[] DrainDurationBuckets = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

    private readonly Counter<long> _connectionsOpened;
    private readonly Counter<long> _connectionsRejected;
    private readonly Counter<long> _requests;
    private readonly Histogram<double> _drainDuration;
    private readonly Counter<long> _drainAcknowledgements;
    private readonly Counter<long> _drainAbortedConnections;
    private readonly Counter<long> _acceptErrors;
    private Func<IEnumerable<RuntimeListener>>? _listeners;
    private Counter<long>? _requestsThrottled;
    private Counter<long>? _requestsRateLimited;
    private Counter<long>? _connectionsLimitClosed;

    public RoadrunnerMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(RoadrunnerEvents.MeterName);
        meter.CreateObservableUpDownCounter("roadrunner.listeners", ObserveListeners, "{listener}", "Registered listeners, by status (accepting, suspended or draining).");
        meter.CreateObservableUpDownCounter("roadrunner.listener.active_connections", ObserveConnections, "{connection}", "Connections open on a listener, including stopped listeners whose connections are still open.");
        _connectionsOpened = meter.CreateCounter<long>("roadrunner.listener.connections_opened", "{connection}", "Connections accepted by a listener.");
        _connectionsRejected = meter.CreateCounter<long>("roadrunner.listener.connections_rejected", "{connection}", "Connections closed at once because the listener was at its cap.");
        _requests = meter.CreateCounter<long>("roadrunner.listener.requests", "{request}", "Requests received by a listener.");
        _drainDuration = meter.CreateHistogram(
            "roadrunner.drain.duration",
            "s",
            "Time a drain took.",
            tags: null,
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DrainDurationBuckets });
        _drainAcknowledgements = meter.CreateCounter<long>("roadrunner.drain.acknowledgements", "{acknowledgement}", "Drain signals acknowledged by handlers.");
        _drainAbortedConnections = meter.CreateCounter<long>("roadrunner.drain.aborted_connections", "{connection}", "Connections cut during a drain, by end reason (drain_deadline, server_shutdown).");
        _acceptErrors = meter.CreateCounter<long>("roadrunner.listener.accept_errors", "{error}", "Failed accepts of a listener (out of file descriptors, ...); the accept loop backs off.");
        CreateLimitInstruments(meter);
    }

    public void RequestThrottled(string listener, string reason) => AddWithReason(_requestsThrottled, listener, reason);

    public void RequestRateLimited(string listener) => AddWithReason(_requestsRateLimited, listener, "rate_limit");

    public void ConnectionLimitClosed(string listener, string reason) => AddWithReason(_connectionsLimitClosed, listener, reason);

    private void CreateLimitInstruments(Meter meter)
    {
        _requestsThrottled = meter.CreateCounter<long>("roadrunner.requests.throttled", "{request}", "Requests refused by a listener limit (503 or REFUSED_STREAM), by reason (max_concurrent_requests, max_requests_per_connection, max_connections).");
        _requestsRateLimited = meter.CreateCounter<long>("roadrunner.requests.rate_limited", "{request}", "Requests answered 429 by a listener's per-client-IP rate limit.");
        _connectionsLimitClosed = meter.CreateCounter<long>("roadrunner.connections.limit_closed", "{connection}", "Connections closed by a listener limit, by reason (keep_alive_timeout, request_headers_timeout, max_requests_per_connection, max_connections_idle).");
    }

    private static void AddWithReason(Counter<long>? counter, string listener, string reason)
    {
        if (counter is { Enabled: true })
        {
            counter.Add(1, new KeyValuePair<string, object?>(ListenerNameTag, listener), new KeyValuePair<string, object?>(LimitReasonTag, reason));
        }
    }

    /// <summary>Where the observable instruments read current state; set once by the listener manager.</summary>
    public void Observe(Func<IEnumerable<RuntimeListener>> listeners) => _listeners = listeners;

    public void ConnectionOpened(string listener) => Add(_connectionsOpened, 1, listener);

    public void ConnectionRejected(string listener) => Add(_connectionsRejected, 1, listener);

    public void RequestReceived(string listener) => Add(_requests, 1, listener);

    public void DrainAcknowledged(string? listener) => Add(_drainAcknowledgements, 1, listener);

    public void AcceptFailed(string listener, string errorType)
    {
        if (_acceptErrors.Enabled)
        {
            _acceptErrors.Add(1, new KeyValuePair<string, object?>(ListenerNameTag, listener), new KeyValuePair<string, object?>("error.type", errorType));
        }
    }

    /// <param name="result">The drain's result.</param>
    /// <param name="cutAtDeadline">Connections the drain cut at its deadline; the rest of the aborted ones were cut by the server's shutdown.</param>
    public void DrainCompleted(DrainResult result, int cutAtDeadline)
    {
        if (_drainDuration.Enabled)
        {
            var tags = new TagList
            {
                { ListenerNameTag, result.ListenerName },
                { OutcomeTag, result.Outcome == DrainOutcome.Drained ? "drained" : "timed_out" },
            };
            _drainDuration.Record(result.Elapsed.TotalSeconds, tags);
        }

        if (_drainAbortedConnections.Enabled)
        {
            var byServer = result.AbortedConnections - cutAtDeadline;
            if (cutAtDeadline > 0)
            {
                _drainAbortedConnections.Add(cutAtDeadline, new(ListenerNameTag, result.ListenerName), new(EndReasonTag, "drain_deadline"));
            }

            if (byServer > 0)
            {
                _drainAbortedConnections.Add(byServer, new(ListenerNameTag, result.ListenerName), new(EndReasonTag, "server_shutdown"));
            }
        }
    }

    private IEnumerable<Measurement<long>> ObserveListeners()
    {
        foreach (var listener in _listeners?.Invoke() ?? [])
        {
            var status = listener.State switch
            {
                ListenerState.Accepting => "accepting",
                ListenerState.Suspended => "suspended",
                ListenerState.Draining => "draining",
                _ => null,
            };
            if (status is not null)
            {
                yield return new Measurement<long>(
                    1,
                    new KeyValuePair<string, object?>(ListenerNameTag, listener.Name),
                    new KeyValuePair<string, object?>(ListenerStatusTag, status));
            }
        }
    }

    private IEnumerable<Measurement<long>> ObserveConnections()
    {
        // One series per name: a listener replaced by a reload drains under the same name as its successor.
        foreach (var byName in (_listeners?.Invoke() ?? []).GroupBy(l => l.Name, StringComparer.OrdinalIgnoreCase))
        {
            yield return new Measurement<long>(byName.Sum(l => l.ActiveConnections), new KeyValuePair<string, object?>(ListenerNameTag, byName.Key));
        }
    }

    private static void Add(Counter<long> counter, long delta, string? listener)
    {
        if (counter.Enabled)
        {
            counter.Add(delta, new KeyValuePair<string, object?>(ListenerNameTag, listener));
        }
    }
}
