using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Roadrunner.AspNetCore.Admin.Dashboard;

/// <summary>
/// The frames of one dashboard stream. The first is a snapshot of every listener; later ones are deltas: only the rows that
/// changed since the previous frame, the names that went away, and the drains (few, so always whole). Rows are compact
/// arrays in the order of <see cref="Columns"/>, not objects, so 1,000 listeners stay small on the wire and cheap to apply.
/// Requests per second are measured per stream over windows of at least 0.9 s, so a frame sent early on a change does not
/// show a noisy rate.
/// </summary>
internal sealed class DashboardFrames(IListenerManager listeners, DashboardFeed feed)
{
    public static readonly string[] Columns =
        ["name", "address", "port", "scheme", "protocols", "status", "activeConnections", "maxConnections", "requestsServed", "rejected", "requestsPerSecond", "throttled", "rateLimited"];

    private static readonly TimeSpan RateWindow = TimeSpan.FromMilliseconds(900);

    private readonly Dictionary<string, Row> _rows = new(StringComparer.OrdinalIgnoreCase);
    private readonly ArrayBufferWriter<byte> _buffer = new(4096);

    /// <summary>Rows and bytes of the last frame, for measurements.</summary>
    public int LastRowCount { get; private set; }

    public string Next(bool snapshot)
    {
        var now = feed.Time.GetUtcNow();
        var timestamp = feed.Time.GetTimestamp();
        var current = listeners.GetListeners();
        _buffer.Clear();
        using var json = new Utf8JsonWriter(_buffer);
        json.WriteStartObject();
        json.WriteString("type", snapshot ? "snapshot" : "delta");
        json.WriteString("now", now);
        if (snapshot)
        {
            json.WriteStartArray("columns");
            foreach (var column in Columns)
            {
                json.WriteStringValue(column);
            }

            json.WriteEndArray();
        }

        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var rows = 0;
        json.WriteStartArray("rows");
        foreach (var info in current)
        {
            seen.Add(info.Name);
            var row = Measure(info, timestamp);
            if (snapshot || !_rows.TryGetValue(info.Name, out var previous) || !previous.SameAs(row))
            {
                WriteRow(json, info, row);
                rows++;
            }

            _rows[info.Name] = row;
        }

        json.WriteEndArray();
        LastRowCount = rows;

        json.WriteStartArray("removed");
        foreach (var name in _rows.Keys.Where(n => !seen.Contains(n)).ToList())
        {
            _rows.Remove(name);
            json.WriteStringValue(name);
        }

        json.WriteEndArray();

        json.WriteStartArray("drains");
        foreach (var drain in feed.Drains())
        {
            WriteDrain(json, drain, current);
        }

        json.WriteEndArray();
        json.WriteEndObject();
        json.Flush();
        return Encoding.UTF8.GetString(_buffer.WrittenSpan);
    }

    private Row Measure(ListenerInfo info, long timestamp)
    {
        if (!_rows.TryGetValue(info.Name, out var previous) || previous.StartedAt != info.StartedAt)
        {
            return new Row(info, 0, info.RequestsServed, timestamp);
        }

        var elapsed = feed.Time.GetElapsedTime(previous.RateTimestamp, timestamp);
        if (elapsed < RateWindow)
        {
            return new Row(info, previous.Rate, previous.RateServed, previous.RateTimestamp);
        }

        var rate = Math.Round((info.RequestsServed - previous.RateServed) / elapsed.TotalSeconds, 1);
        return new Row(info, rate, info.RequestsServed, timestamp);
    }

    private static void WriteRow(Utf8JsonWriter json, ListenerInfo info, Row row)
    {
        json.WriteStartArray();
        json.WriteStringValue(info.Name);
        json.WriteStringValue(info.Address);
        json.WriteNumberValue(info.Port);
        json.WriteStringValue(info.Scheme);
        json.WriteStringValue(info.Protocols.ToString());
        json.WriteStringValue(info.Status.ToString());
        json.WriteNumberValue(info.ActiveConnections);
        if (info.MaxConnections is { } max)
        {
            json.WriteNumberValue(max);
        }
        else
        {
            json.WriteNullValue();
        }

        json.WriteNumberValue(info.RequestsServed);
        json.WriteNumberValue(info.ConnectionsRejected);
        json.WriteNumberValue(row.Rate);
        json.WriteNumberValue(info.RequestsThrottled);
        json.WriteNumberValue(info.RequestsRateLimited);
        json.WriteEndArray();
    }

    private static void WriteDrain(Utf8JsonWriter json, DrainView drain, IReadOnlyList<ListenerInfo> current)
    {
        json.WriteStartObject();
        json.WriteString("listener", drain.ListenerName);
        json.WriteBoolean("soft", drain.Soft);
        json.WriteString("startedAt", drain.StartedAt);
        if (drain.Deadline is { } deadline)
        {
            json.WriteString("deadline", deadline);
        }
        else
        {
            json.WriteNull("deadline");
        }

        json.WriteNumber("connectionsAtStart", drain.ConnectionsAtStart);
        var listener = current.FirstOrDefault(l => l.Name.Equals(drain.ListenerName, StringComparison.OrdinalIgnoreCase));
        json.WriteNumber("connectionsLeft", drain.Result is null ? listener?.ActiveConnections ?? 0 : drain.Result.AbortedConnections);
        json.WriteNumber("acknowledgements", drain.Result?.Acknowledgements ?? Volatile.Read(ref drain.Acknowledgements));
        if (drain.Result is { } result)
        {
            json.WriteString("outcome", result.Outcome.ToString());
            json.WriteNumber("graceful", result.GracefulConnections);
            json.WriteNumber("aborted", result.AbortedConnections);
            json.WriteNumber("elapsedMs", result.ElapsedMs);
        }
        else
        {
            json.WriteNull("outcome");
        }

        json.WriteEndObject();
    }

    /// <summary>What was last sent of a listener, and the rate window.</summary>
    private readonly record struct Row(ListenerInfo Info, double Rate, long RateServed, long RateTimestamp)
    {
        public DateTimeOffset StartedAt => Info.StartedAt;

        public bool SameAs(Row other) =>
            other.Info.Status == Info.Status && other.Info.ActiveConnections == Info.ActiveConnections
            && other.Info.RequestsServed == Info.RequestsServed && other.Info.ConnectionsRejected == Info.ConnectionsRejected
            && other.Info.MaxConnections == Info.MaxConnections && other.Rate.Equals(Rate) && other.Info.Port == Info.Port
            && other.Info.RequestsThrottled == Info.RequestsThrottled && other.Info.RequestsRateLimited == Info.RequestsRateLimited;
    }
}
