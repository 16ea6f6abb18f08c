using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Roadrunner.AspNetCore.Tests.Infrastructure;

namespace Roadrunner.AspNetCore.Tests.Diagnostics;

public sealed class ObservabilityTests
{
    [Fact]
    public async Task Start_stop_bind_failure_and_rejection_are_logged_with_stable_event_ids()
    {
        await using var app = await TestApp.StartAsync();
        var info = await app.Manager.StartAsync("logged", new ListenerOptions { MaxConnections = 1 });
        using (var first = await Net.ConnectAsync(info.Url))
        {
            (await Net.SendRawAsync(first, "/")).ShouldContain("listener=logged");
            using var second = await Net.ConnectAsync(info.Url);
            await Net.ReadUntilClosedAsync(second, TimeSpan.FromSeconds(10));
        }

        await Should.ThrowAsync<ListenerBindException>(() => app.Manager.StartAsync("clash", new ListenerOptions { Port = info.EndPoint.Port }));
        await app.Manager.StopAsync("logged");

        var entries = app.Logs.Entries.Where(e => e.Category == "Roadrunner.AspNetCore").ToList();
        entries.ShouldContain(e => e.EventId.Id == 1 && e.Level == LogLevel.Information && e.Message == $"Listener 'logged' started on http://127.0.0.1:{info.EndPoint.Port} (Http1).");
        entries.ShouldContain(e => e.EventId.Id == 4 && e.Level == LogLevel.Debug && e.Message.StartsWith("Listener 'logged' rejected a connection", StringComparison.Ordinal));
        entries.ShouldContain(e => e.EventId.Id == 3 && e.Level == LogLevel.Warning && e.Message.Contains("'clash' could not bind", StringComparison.Ordinal));
        entries.ShouldContain(e => e.EventId.Id == 2 && e.EventId.Name == "ListenerStopped" && e.Message.StartsWith("Listener 'logged' stopped", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Meter_reports_listeners_connections_and_rejections_tagged_with_the_listener_name()
    {
        var name = $"m{Guid.NewGuid():N}";
        var measurements = new ConcurrentQueue<(string Instrument, long Value)>();
        using var meterListener = new MeterListener();
        meterListener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == RoadrunnerEvents.MeterName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        meterListener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "roadrunner.listener.name" && (string?)tag.Value == name)
                {
                    measurements.Enqueue((instrument.Name, value));
                }
            }
        });
        meterListener.Start();

        await using var app = await TestApp.StartAsync();
        var info = await app.Manager.StartAsync(name, new ListenerOptions { MaxConnections = 1 });
        using (var first = await Net.ConnectAsync(info.Url))
        {
            (await Net.SendRawAsync(first, "/")).ShouldContain($"listener={name}");
            using var second = await Net.ConnectAsync(info.Url);
            await Net.ReadUntilClosedAsync(second, TimeSpan.FromSeconds(10));
        }

        (await Net.EventuallyAsync(() => app.Manager.GetListener(name)!.ActiveConnections == 0)).ShouldBeTrue();
        await app.Manager.StopAsync(name);

        long Sum(string instrument) => measurements.Where(m => m.Instrument == instrument).Sum(m => m.Value);
        Sum("roadrunner.listeners").ShouldBe(0);
        measurements.Count(m => m.Instrument == "roadrunner.listeners").ShouldBe(2);
        Sum("roadrunner.listener.connections_opened").ShouldBe(1);
        Sum("roadrunner.listener.connections_rejected").ShouldBe(1);
        Sum("roadrunner.listener.active_connections").ShouldBe(0);
        measurements.Count(m => m.Instrument == "roadrunner.listener.active_connections").ShouldBe(2);
        Sum("roadrunner.listener.requests").ShouldBe(1);
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
