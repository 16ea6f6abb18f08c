using System.IO.Pipelines;
using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Microsoft.Extensions.DependencyInjection;
using Roadrunner.AspNetCore.Limits;
using Roadrunner.AspNetCore.Listeners;
using Roadrunner.AspNetCore.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Roadrunner.AspNetCore.Tests.Limits;

/// <summary>
/// The limits' request path allocates nothing on a kept-alive connection, with no limit set and with every limit set
/// (generous values, so each check runs and passes), measured as DrainMiddlewareAllocationTests measures the drain path.
/// </summary>
public sealed class LimitsAllocationTests(ITestOutputHelper output)
{
    public static ListenerOptions EveryLimitGenerous() => new()
    {
        MaxConnections = 1_000_000,
        MaxConnectionsBehavior = MaxConnectionsBehavior.ServiceUnavailable,
        MaxRequestBodySize = 100 * 1024 * 1024,
        RequestHeadersTimeout = TimeSpan.FromSeconds(30),
        KeepAliveTimeout = TimeSpan.FromSeconds(120),
        MaxRequestsPerConnection = int.MaxValue,
        MinRequestBodyDataRate = new ListenerDataRate { BytesPerSecond = 1, GracePeriod = TimeSpan.FromSeconds(30) },
        MaxConcurrentRequests = 1_000_000,
        RateLimit = new ListenerRateLimit { PermitsPerSecond = 1_000_000, Burst = 1_000_000 },
    };

    [Fact]
    public async Task The_limits_allocate_nothing_per_request_when_none_is_set()
    {
        var allocated = await MeasureAsync(new ListenerOptions(), "alloc-off");
        allocated.ShouldBe(0);
    }

    [Fact]
    public async Task The_limits_allocate_nothing_per_request_with_every_limit_set_generously()
    {
        var allocated = await MeasureAsync(EveryLimitGenerous(), "alloc-all");
        allocated.ShouldBe(0);
    }

    [Fact]
    public async Task Per_connection_bookkeeping_of_the_limits_stays_under_256_bytes()
    {
        await using var app = await TestApp.StartAsync();
        var manager = app.App.Services.GetRequiredService<ListenerManager>();
        await manager.StartAsync("alloc-conn", EveryLimitGenerous());
        var listener = manager.Find("alloc-conn")!;
        var pipe = new DuplexPipe(new Pipe());

        _ = new ActivityDuplexPipe(pipe, new ConnectionLimits(listener, TimeProvider.System, overCap: false)); // warm-up
        var before = GC.GetAllocatedBytesForCurrentThread();
        var limits = new ConnectionLimits(listener, TimeProvider.System, overCap: false);
        var wrapped = new ActivityDuplexPipe(pipe, limits);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        output.WriteLine($"per-connection limit state: {allocated} bytes");
        wrapped.Input.ShouldNotBeNull();
        allocated.ShouldBeLessThanOrEqualTo(256);
    }

    private async Task<long> MeasureAsync(ListenerOptions options, string name)
    {
        await using var app = await TestApp.StartAsync();
        var manager = app.App.Services.GetRequiredService<ListenerManager>();
        await manager.StartAsync(name, options);
        var listener = manager.Find(name)!;

        // A request of the listener as Kestrel presents it on HTTP/1.1: its features, the connection's limit state.
        var context = new DefaultHttpContext();
        context.Request.Protocol = HttpProtocol.Http11;
        context.Connection.RemoteIpAddress = IPAddress.Loopback;
        context.Features.Set<IRoadrunnerListenerFeature>(listener);
        context.Features.Set<IHttpMaxRequestBodySizeFeature>(new BodySize());
        context.Features.Set<IHttpMinRequestBodyDataRateFeature>(new DataRate());
        if (listener.Limits.ForNewConnection(overCap: false) is { } connection)
        {
            context.Features.Set(connection);
        }

        RequestDelegate next = static _ => Task.CompletedTask;
        for (var i = 0; i < 1_000; i++)
        {
            await listener.Limits.InvokeAsync(context, next); // Warm-up: the rate limiter and its bucket are built once; the JIT settles.
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10_000; i++)
        {
            await listener.Limits.InvokeAsync(context, next);
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        output.WriteLine($"{name}: {allocated} bytes for 10,000 requests");
        context.Response.StatusCode.ShouldBe(200);
        listener.Limits.InFlight.ShouldBe(0);
        return allocated;
    }

    private sealed class BodySize : IHttpMaxRequestBodySizeFeature
    {
        public bool IsReadOnly => false;

        public long? MaxRequestBodySize { get; set; }
    }

    private sealed class DataRate : IHttpMinRequestBodyDataRateFeature
    {
        public MinDataRate? MinDataRate { get; set; }
    }

    private sealed class DuplexPipe(Pipe pipe) : IDuplexPipe
    {
        public PipeReader Input => pipe.Reader;

        public PipeWriter Output => pipe.Writer;
    }
}
