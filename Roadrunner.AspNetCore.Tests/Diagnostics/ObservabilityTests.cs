using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Roadrunner.AspNetCore.Tests.Infrastructure;

namespace Roadrunner.AspNetCore.Tests.Diagnostics;

public sealed class ObservabilityTests
{
    [Fact]
    public async Task Start_stop_bind_failure_and_rejections_are_logged_per_concern_with_stable_event_ids()
    {
        await using var app = await TestApp.StartAsync();
        var info = await app.Manager.StartAsync("logged", new ListenerOptions { MaxConnections = 1 });
        using (var first = await Net.ConnectAsync(info.Url))
        {
            (await Net.SendRawAsync(first, "/")).ShouldContain("listener=logged");
            for (var i = 0; i < 5; i++)
            {
                using var rejected = await Net.ConnectAsync(info.Url);
                await Net.ReadUntilClosedAsync(rejected, TimeSpan.FromSeconds(10));
            }
        }

        await Should.ThrowAsync<ListenerBindException>(() => app.Manager.StartAsync("clash", new ListenerOptions { Port = info.EndPoint.Port }));
        await app.Manager.StopAsync("logged");

        var entries = app.Logs.Entries.Where(e => e.Category.StartsWith("Roadrunner.AspNetCore", StringComparison.Ordinal)).ToList();
        entries.ShouldContain(e => e.Category == "Roadrunner.AspNetCore.Listeners" && e.EventId.Id == 1 && e.Level == LogLevel.Information && e.Message == $"Listener 'logged' started on http://127.0.0.1:{info.EndPoint.Port} (Http1).");

        // Five rejections inside the 10 s window: one warning, not five lines.
        var rejections = entries.Where(e => e.EventId.Id == 4).ToList();
        rejections.Count.ShouldBe(1);
        rejections[0].Category.ShouldBe("Roadrunner.AspNetCore.Transport");
        rejections[0].Level.ShouldBe(LogLevel.Warning);
        rejections[0].Message.ShouldContain("Listener 'logged' is at its cap of 1 connection(s)");
        rejections[0].Message.ShouldContain("Roadrunner:Listeners:logged:MaxConnections");

        // A bind failure is one line that says why, without a stack trace.
        var bindFailure = entries.Single(e => e.EventId.Id == 3);
        bindFailure.Level.ShouldBe(LogLevel.Warning);
        bindFailure.Message.ShouldContain("'clash' could not bind");
        bindFailure.Message.ShouldContain("in use");
        entries.ShouldContain(e => e.EventId.Id == 2 && e.EventId.Name == "ListenerStopped" && e.Message.StartsWith("Listener 'logged' stopped (stopped)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_timed_out_drain_warns_once_with_counts_and_logs_each_abort_at_debug_then_the_stop_with_its_reason()
    {
        await using var app = await TestApp.StartAsync();
        var url = await app.StartListenerAsync("noisy");
        var sockets = new List<System.Net.Sockets.Socket>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                var socket = await Net.ConnectAsync(url);
                sockets.Add(socket);
                await socket.SendAsync("GET /slow?ms=60000 HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());
            }

            (await Net.EventuallyAsync(() => app.Manager.GetListener("noisy")!.RequestsServed == 3)).ShouldBeTrue();
            (await app.Manager.DrainAsync("noisy", TimeSpan.FromMilliseconds(50)))!.Outcome.ShouldBe(DrainOutcome.TimedOut);
        }
        finally
        {
            sockets.ForEach(s => s.Dispose());
        }

        var entries = app.Logs.Entries.Where(e => e.Category.StartsWith("Roadrunner.AspNetCore", StringComparison.Ordinal)).ToList();
        entries.Count(e => e.EventId.Id == 8 && e.Level == LogLevel.Debug).ShouldBe(3);
        var summary = entries.Single(e => e.EventId.Id == 19);
        summary.Level.ShouldBe(LogLevel.Warning);
        summary.Message.ShouldContain("aborting 3 connection(s)");
        var completed = entries.Single(e => e.EventId.Id == 6);
        completed.Category.ShouldBe("Roadrunner.AspNetCore.Drain");
        completed.Level.ShouldBe(LogLevel.Warning);
        completed.Message.ShouldContain("ended TimedOut");
        completed.Message.ShouldContain("0 graceful, 3 aborted");
        var stopped = entries.FindIndex(e => e.EventId.Id == 2 && e.Message.Contains("'noisy' stopped (drain)", StringComparison.Ordinal));
        stopped.ShouldBeGreaterThan(entries.IndexOf(completed));
    }

    [Fact]
    public async Task A_meter_listener_attached_late_reads_the_current_listeners_and_connections_and_no_series_for_gone_listeners()
    {
        var name = $"m{Guid.NewGuid():N}";
        await using var app = await TestApp.StartAsync();
        var info = await app.Manager.StartAsync(name, new ListenerOptions { MaxConnections = 5 });
        var sockets = new List<System.Net.Sockets.Socket>();
        try
        {
            for (var i = 0; i < 5; i++)
            {
                var socket = await Net.ConnectAsync(info.Url);
                sockets.Add(socket);
                (await Net.SendRawAsync(socket, "/")).ShouldContain($"listener={name}");
            }

            // Attached only now, with 5 connections open: UpDownCounters would read 0 (or negative after closes).
            using (var late = new LateMeterListener(name))
            {
                late.Observe();
                late.Value("roadrunner.listener.active_connections").ShouldBe(5);
                late.Value("roadrunner.listeners").ShouldBe(1);
                late.Tags("roadrunner.listeners").ShouldContain(new KeyValuePair<string, object?>("roadrunner.listener.status", "accepting"));
            }
        }
        finally
        {
            sockets.ForEach(s => s.Dispose());
        }

        (await Net.EventuallyAsync(() => app.Manager.GetListener(name)!.ActiveConnections == 0)).ShouldBeTrue();
        await app.Manager.StopAsync(name);
        (await Net.EventuallyAsync(() => ((Roadrunner.AspNetCore.Listeners.ListenerManager)app.Manager).LiveListenerCount == 0)).ShouldBeTrue();

        using var after = new LateMeterListener(name);
        after.Observe();
        after.Count("roadrunner.listeners").ShouldBe(0);
        after.Count("roadrunner.listener.active_connections").ShouldBe(0);
    }

    [Fact]
    public async Task Drain_duration_has_bucket_advice_from_ten_milliseconds_to_five_minutes()
    {
        Histogram<double>? histogram = null;
        using var meterListener = new MeterListener();
        meterListener.InstrumentPublished = (instrument, _) =>
        {
            if (instrument.Meter.Name == RoadrunnerEvents.MeterName && instrument.Name == "roadrunner.drain.duration")
            {
                histogram = (Histogram<double>)instrument;
            }
        };
        meterListener.Start();
        await using var app = await TestApp.StartAsync();

        histogram.ShouldNotBeNull();
        var buckets = histogram.Advice!.HistogramBucketBoundaries!;
        buckets[0].ShouldBe(0.01);
        buckets[^1].ShouldBe(300);
        buckets.ShouldContain(1);
    }

    [Fact]
    public async Task Kestrel_connection_metrics_carry_the_listener_name()
    {
        var name = $"k{Guid.NewGuid():N}";
        var tagged = new ConcurrentQueue<string>();
        using var meterListener = new MeterListener();
        meterListener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Microsoft.AspNetCore.Server.Kestrel" && instrument.Name == "kestrel.connection.duration")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        meterListener.SetMeasurementEventCallback<double>((_, _, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "roadrunner.listener.name" && tag.Value is string value)
                {
                    tagged.Enqueue(value);
                }
            }
        });
        meterListener.Start();

        await using var app = await TestApp.StartAsync();
        var info = await app.Manager.StartAsync(name, new ListenerOptions());
        using (var socket = await Net.ConnectAsync(info.Url))
        {
            (await Net.SendRawAsync(socket, "/", close: true)).ShouldContain($"listener={name}");
        }

        (await Net.EventuallyAsync(() => tagged.Contains(name))).ShouldBeTrue();
    }

    /// <summary>A meter listener that reads the observable Roadrunner instruments once, for one listener name.</summary>
    private sealed class LateMeterListener : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly List<(string Instrument, long Value, KeyValuePair<string, object?>[] Tags)> _measurements = [];

        public LateMeterListener(string name)
        {
            _listener.InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == RoadrunnerEvents.MeterName)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            {
                var copy = tags.ToArray();
                if (copy.Any(t => t.Key == "roadrunner.listener.name" && (string?)t.Value == name))
                {
                    _measurements.Add((instrument.Name, value, copy));
                }
            });
            _listener.Start();
        }

        public void Observe() => _listener.RecordObservableInstruments();

        public long Value(string instrument) => _measurements.Where(m => m.Instrument == instrument).Sum(m => m.Value);

        public int Count(string instrument) => _measurements.Count(m => m.Instrument == instrument);

        public IEnumerable<KeyValuePair<string, object?>> Tags(string instrument) => _measurements.Where(m => m.Instrument == instrument).SelectMany(m => m.Tags);

        public void Dispose() => _listener.Dispose();
    }

    [Fact]
    public async Task Started_and_stopped_events_carry_the_listener()
    {
        using var events = new EventRecorder();
        await using var app = await TestApp.StartAsync();
        var name = $"e{Guid.NewGuid():N}";

        var info = await app.Manager.StartAsync(name, new ListenerOptions());
        await app.Manager.StopAsync(name);

        var started = await events.WaitForAsync<ListenerStartedEvent>(RoadrunnerEvents.ListenerStarted, e => e.ListenerName == name);
        started.EndPoint.ShouldBe(info.EndPoint);
        started.Scheme.ShouldBe("http");
        var stopped = await events.WaitForAsync<ListenerStoppedEvent>(RoadrunnerEvents.ListenerStopped, e => e.ListenerName == name);
        stopped.OpenConnections.ShouldBe(0);
    }
}
