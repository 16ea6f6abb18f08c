using Roadrunner.AspNetCore.Tests.Infrastructure;
using Roadrunner.Bench.Load;

namespace Roadrunner.AspNetCore.Tests.Benchmarks;

/// <summary>Keeps the benchmark suite's load code from rotting: the real benchmarks run with ./build.sh bench, not here.</summary>
public sealed class LoadClientSmokeTests
{
    [Fact]
    public async Task Load_client_drives_a_runtime_listener_for_a_second_without_errors()
    {
        await using var app = await TestApp.StartAsync();
        var url = await app.StartListenerAsync("bench-smoke");

        var result = await HttpLoad.RunAsync(new HttpLoadOptions
        {
            Url = new Uri(url, "/"),
            Connections = 4,
            Duration = TimeSpan.FromSeconds(1),
        });

        result.FirstError.ShouldBeNull();
        result.Errors.ShouldBe(0);
        result.Requests.ShouldBeGreaterThan(0);
        result.ConnectionsOpened.ShouldBe(4);
        result.Latency.Count.ShouldBe(result.Requests);
        app.Manager.GetListener("bench-smoke")!.RequestsServed.ShouldBeGreaterThanOrEqualTo(result.Requests);
    }
}
