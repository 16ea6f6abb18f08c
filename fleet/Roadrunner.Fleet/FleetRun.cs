using System.Net;

namespace Roadrunner.Fleet;

/// <summary>What the driver did for one SIGTERM, with the times it saw (ms on the configuration's timeline).</summary>
internal sealed record RestartRecord(int Round, int Instance, int Pid, double TermAt, double? RemovedAt, double? ExitAt, int? ExitCode, double ReadyAt, double BackAt);

/// <summary>
/// One configuration, start to end: three instances, HAProxy, the clients for the whole run, and each instance in
/// turn SIGTERMed → exited → restarted → ready → back in the balancer, for every round. Every wait is bounded; every
/// process started here is stopped in the finally, by its own pid.
/// </summary>
internal static class FleetRun
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan BalancerTimeout = TimeSpan.FromSeconds(10);

    public static async Task<ConfigResult> RunAsync(FleetSettings settings, Configuration configuration)
    {
        Console.WriteLine($"fleet: {configuration.Id}: {configuration.Title}");
        var timeline = new Timeline();
        var ports = Posix.FreePorts((2 * settings.Instances) + 1);
        var instances = Enumerable.Range(0, settings.Instances)
            .Select(i => new ExampleInstance(i + 1, ports[1 + (2 * i)], ports[2 + (2 * i)], settings, configuration))
            .ToList();
        var restarts = new List<RestartRecord>();
        using var stopClients = new CancellationTokenSource();
        using var probeHandler = new SocketsHttpHandler { UseProxy = false, PooledConnectionLifetime = TimeSpan.Zero };
        using var probe = new HttpClient(probeHandler);
        HaProxy? haproxy = null;
        Task? clients = null;
        double loadStart = 0;
        try
        {
            foreach (var instance in instances)
            {
                instance.Start();
            }

            foreach (var instance in instances)
            {
                if (!await instance.WaitReadyAsync(probe, ReadyTimeout, CancellationToken.None))
                {
                    throw new InvalidOperationException($"{instance.Name} was not ready within {ReadyTimeout.TotalSeconds:0} s (log in {settings.LogDirectory}).");
                }
            }

            haproxy = await HaProxy.StartAsync(settings, configuration, ports[0], instances);
            if (configuration.Setup == BalancerSetup.HealthChecks)
            {
                foreach (var instance in instances)
                {
                    await Require(haproxy.WaitStatusAsync(instance.Name, "UP", BalancerTimeout), $"HAProxy did not see {instance.Name} UP");
                }
            }

            var target = new IPEndPoint(IPAddress.Loopback, haproxy.Port);
            loadStart = timeline.Now;
            timeline.Marker(0, "clients start");
            clients = Task.WhenAll(
                HttpClients.RunAsync(target, settings.HttpConnections, settings.HttpRatePerConnection, timeline, stopClients.Token),
                WebSocketClients.RunAsync(new Uri($"ws://127.0.0.1:{haproxy.Port}/ws"), settings.WebSockets, timeline, stopClients.Token),
                SseClients.RunAsync(new Uri($"http://127.0.0.1:{haproxy.Port}/sse"), settings.SseStreams, timeline, stopClients.Token));
            await Require(
                WaitUntilAsync(() => timeline.Count(EventKind.WsConnected) >= settings.WebSockets && timeline.Count(EventKind.SseStarted) >= settings.SseStreams, TimeSpan.FromSeconds(30)),
                "the WebSockets and SSE streams did not all open");
            await Task.Delay(settings.Settle);

            for (var round = 1; round <= settings.Rounds; round++)
            {
                foreach (var instance in instances)
                {
                    restarts.Add(await RestartAsync(settings, configuration, timeline, haproxy, instance, probe, round));
                }
            }

            await Task.Delay(settings.Settle);
        }
        finally
        {
            await stopClients.CancelAsync();
            if (clients is not null)
            {
                await Task.WhenAny(clients, Task.Delay(TimeSpan.FromSeconds(15)));
            }

            timeline.Marker(0, "clients stopped");
            if (haproxy is not null)
            {
                await haproxy.DisposeAsync();
            }

            // In parallel: each one sits through its ShutdownDelay.
            await Task.WhenAll(instances.Select(i => i.DisposeAsync().AsTask()));
        }

        // Every event as CSV, for diagnosing a figure beyond what the summary shows.
        var events = timeline.Snapshot();
        await File.WriteAllLinesAsync(
            Path.Combine(settings.OutputDirectory, $"events-{configuration.Id}.csv"),
            events.Select(e => FormattableString.Invariant($"{e.T:0.0},{e.Kind},{e.Server},{e.Code},\"{e.Detail?.Replace("\"", "'", StringComparison.Ordinal)}\"")).Prepend("ms,kind,server,code,detail").Prepend($"# ms 0 = {timeline.StartUtc:O}"));
        return Analysis.Summarize(settings, configuration, events, restarts, loadStart);
    }

    private static async Task<RestartRecord> RestartAsync(
        FleetSettings settings, Configuration configuration, Timeline timeline, HaProxy haproxy, ExampleInstance instance, HttpClient probe, int round)
    {
        var pid = instance.Pid;
        var termAt = timeline.Now;
        timeline.Marker(instance.Index, "SIGTERM");
        instance.Terminate();

        // Setup (b): the balancer hears about it only after the propagation time, whatever the instance does meanwhile.
        double? removedAt = null;
        var removal = configuration.Setup == BalancerSetup.Propagation
            ? RemoveLaterAsync()
            : Task.CompletedTask;

        var exitCode = await instance.WaitForExitAsync(settings.ShutdownTimeout + TimeSpan.FromSeconds(5));
        double? exitAt = exitCode is null ? null : timeline.Now;
        if (exitCode is null)
        {
            timeline.Marker(instance.Index, "did not exit: killed");
            await instance.DisposeAsync();
        }
        else
        {
            timeline.Marker(instance.Index, "exited", exitCode.Value);
        }

        await removal;
        instance.Start();
        timeline.Marker(instance.Index, "restarted");
        await Require(instance.WaitReadyAsync(probe, ReadyTimeout, CancellationToken.None), $"{instance.Name} was not ready after its restart");
        var readyAt = timeline.Now;
        timeline.Marker(instance.Index, "ready (readyz 200)");
        if (configuration.Setup == BalancerSetup.HealthChecks)
        {
            await Require(haproxy.WaitStatusAsync(instance.Name, "UP", BalancerTimeout), $"HAProxy did not see {instance.Name} UP again");
        }
        else
        {
            await haproxy.SetStateAsync(instance.Name, "ready");
        }

        var backAt = timeline.Now;
        timeline.Marker(instance.Index, "back in the balancer");
        await Task.Delay(settings.Settle);
        return new RestartRecord(round, instance.Index, pid, termAt, removedAt, exitAt, exitCode, readyAt, backAt);

        async Task RemoveLaterAsync()
        {
            await Task.Delay(settings.Propagation);
            await haproxy.SetStateAsync(instance.Name, "maint");
            removedAt = timeline.Now;
            timeline.Marker(instance.Index, "removed from the balancer (maint)");
        }
    }

    private static async Task Require(Task<bool> condition, string failure)
    {
        if (!await condition)
        {
            throw new InvalidOperationException(failure + ".");
        }
    }

    private static async Task<bool> WaitUntilAsync(Func<bool> condition, TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        using var pace = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        while (!condition())
        {
            if (DateTime.UtcNow >= until)
            {
                return false;
            }

            await pace.WaitForNextTickAsync();
        }

        return true;
    }
}
