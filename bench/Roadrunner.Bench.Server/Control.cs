using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using Roadrunner.AspNetCore;

namespace Roadrunner.Bench.Server;

/// <summary>The runner's control endpoints (routing, after /hello: they cost the measured requests nothing).</summary>
internal static class Control
{
    public static void Map(WebApplication app, X509Certificate2 certificate)
    {
        // Starts a listener: ?protocol=h1 (default) | h2c | tls.
        app.MapPost("/control/listeners/{name}", async (string name, string? protocol, IListenerManager manager) =>
        {
            var options = protocol switch
            {
                "h2c" => new ListenerOptions { Protocols = ListenerProtocols.Http2 },
                "tls" => new ListenerOptions { UseTls = true, Certificate = certificate },
                _ => new ListenerOptions(),
            };
            var info = await manager.StartAsync(name, options);
            return Results.Ok(new { url = info.Url.ToString().TrimEnd('/') });
        });

        app.MapGet("/control/listeners/{name}", (string name, IListenerManager manager) =>
            manager.GetListener(name) is { } info
                ? Results.Ok(new { info.Name, info.ActiveConnections, info.RequestsServed, status = info.Status.ToString() })
                : Results.NotFound());

        app.MapPost("/control/listeners/{name}/drain", async (string name, int timeoutMs, bool? timeline, IListenerManager manager) =>
        {
            if (timeline == true)
            {
                DrainTimeline.Begin();
            }

            var result = await manager.DrainAsync(name, TimeSpan.FromMilliseconds(timeoutMs));
            var events = timeline == true ? DrainTimeline.End() : null;
            return result is null
                ? Results.NotFound()
                : Results.Ok(new
                {
                    outcome = result.Outcome.ToString(),
                    result.GracefulConnections,
                    result.AbortedConnections,
                    result.Acknowledgements,
                    elapsedMs = result.Elapsed.TotalMilliseconds,
                    timeline = events,
                });
        });

        app.MapDelete("/control/listeners/{name}", async (string name, IListenerManager manager) =>
            await manager.StopAsync(name) ? Results.Ok() : Results.NotFound());

        // Memory and handles; ?gc=true collects (compacting, twice, finalizers run) first.
        app.MapGet("/control/stats", (bool? gc) =>
        {
            if (gc == true)
            {
                FullCollect();
            }

            var memory = GC.GetGCMemoryInfo();
            return Results.Ok(new
            {
                rssBytes = ReadStatusKb("VmRSS") * 1024,
                managedBytes = GC.GetTotalMemory(forceFullCollection: false),
                gcHeapBytes = memory.HeapSizeBytes,
                gcCommittedBytes = memory.TotalCommittedBytes,
                allocatedBytes = GC.GetTotalAllocatedBytes(precise: true),
                fds = Directory.GetFiles("/proc/self/fd").Length,
                threads = System.Diagnostics.Process.GetCurrentProcess().Threads.Count,
            });
        });

        // Process-wide counters read before and after each load run: bytes allocated (precise), thread-pool work
        // items completed, lock contentions, gen0 collections, CPU time (user + kernel) of the process.
        app.MapGet("/control/counters", () => Results.Ok(new
        {
            allocatedBytes = GC.GetTotalAllocatedBytes(precise: true),
            workItems = ThreadPool.CompletedWorkItemCount,
            lockContentions = Monitor.LockContentionCount,
            gen0 = GC.CollectionCount(0),
            cpuMicroseconds = (long)(Environment.CpuUsage.TotalTime.Ticks / 10),
        }));

        app.MapGet("/control/probe", () => Results.Ok(AllocationProbe.Snapshot()));
        app.MapPost("/control/probe/reset", () =>
        {
            AllocationProbe.Reset();
            return Results.Ok();
        });

        app.MapPost("/control/shutdown", (IHostApplicationLifetime lifetime) =>
        {
            lifetime.StopApplication();
            return Results.Ok();
        });
    }

    private static void FullCollect()
    {
        for (var i = 0; i < 2; i++)
        {
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }
    }

    private static long ReadStatusKb(string field)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
            {
                var value = line[(field.Length + 1)..].Trim();
                return long.Parse(value[..value.IndexOf(' ', StringComparison.Ordinal)], CultureInfo.InvariantCulture);
            }
        }

        return -1;
    }
}
