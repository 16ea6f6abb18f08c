using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Roadrunner.AspNetCore.Diagnostics;

/// <summary>Instruments of the <c>Roadrunner.AspNetCore</c> meter, each tagged with the listener name.</summary>
internal sealed class RoadrunnerMetrics
{
    public const string ListenerNameTag = "roadrunner.listener.name";
    public const string OutcomeTag = "roadrunner.drain.outcome";

    private readonly UpDownCounter<long> _listeners;
    private readonly UpDownCounter<long> _activeConnections;
    private readonly Counter<long> _connectionsOpened;
    private readonly Counter<long> _connectionsRejected;
    private readonly Counter<long> _requests;
    private readonly Histogram<double> _drainDuration;
    private readonly Counter<long> _drainAcknowledgements;
    private readonly Counter<long> _drainAbortedConnections;
    private readonly Counter<long> _acceptErrors;

    public RoadrunnerMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(RoadrunnerEvents.MeterName);
        _listeners = meter.CreateUpDownCounter<long>("roadrunner.listeners", "{listener}", "Listeners registered (accepting or draining).");
        _activeConnections = meter.CreateUpDownCounter<long>("roadrunner.listener.active_connections", "{connection}", "Connections open on a listener.");
        _connectionsOpened = meter.CreateCounter<long>("roadrunner.listener.connections_opened", "{connection}", "Connections accepted by a listener.");
        _connectionsRejected = meter.CreateCounter<long>("roadrunner.listener.connections_rejected", "{connection}", "Connections closed at once because the listener was at its cap.");
        _requests = meter.CreateCounter<long>("roadrunner.listener.requests", "{request}", "Requests received by a listener.");
        _drainDuration = meter.CreateHistogram<double>("roadrunner.drain.duration", "s", "Time a drain took.");
        _drainAcknowledgements = meter.CreateCounter<long>("roadrunner.drain.acknowledgements", "{acknowledgement}", "Drain signals acknowledged by handlers.");
        _drainAbortedConnections = meter.CreateCounter<long>("roadrunner.drain.aborted_connections", "{connection}", "Connections aborted at a drain deadline.");
        _acceptErrors = meter.CreateCounter<long>("roadrunner.listener.accept_errors", "{error}", "Failed accepts of a listener (out of file descriptors, ...); the accept loop backs off.");
    }

    public void ListenerAdded(string listener) => Add(_listeners, 1, listener);

    public void ListenerRemoved(string listener) => Add(_listeners, -1, listener);

    public void ConnectionOpened(string listener)
    {
        Add(_activeConnections, 1, listener);
        Add(_connectionsOpened, 1, listener);
    }

    public void ConnectionClosed(string listener) => Add(_activeConnections, -1, listener);

    public void ConnectionRejected(string listener) => Add(_connectionsRejected, 1, listener);

    public void AcceptFailed(string listener, string errorType)
    {
        if (_acceptErrors.Enabled)
        {
            _acceptErrors.Add(1, new KeyValuePair<string, object?>(ListenerNameTag, listener), new KeyValuePair<string, object?>("error.type", errorType));
        }
    }

    public void RequestReceived(string listener) => Add(_requests, 1, listener);

    public void DrainAcknowledged(string? listener) => Add(_drainAcknowledgements, 1, listener);

    public void DrainCompleted(DrainResult result)
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

        if (result.AbortedConnections > 0)
        {
            Add(_drainAbortedConnections, result.AbortedConnections, result.ListenerName);
        }
    }

    private static void Add(Counter<long> counter, long delta, string? listener)
    {
        if (counter.Enabled)
        {
            counter.Add(delta, new KeyValuePair<string, object?>(ListenerNameTag, listener));
        }
    }

    private static void Add(UpDownCounter<long> counter, long delta, string listener)
    {
        if (counter.Enabled)
        {
            counter.Add(delta, new KeyValuePair<string, object?>(ListenerNameTag, listener));
        }
    }
}
