using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Roadrunner.AspNetCore.Drain;
using Roadrunner.AspNetCore.Listeners;
using Roadrunner.AspNetCore.Tests.Infrastructure;

namespace Roadrunner.AspNetCore.Tests.Drain;

public sealed class DrainMiddlewareAllocationTests
{
    [Fact]
    public async Task The_drain_middleware_allocates_nothing_per_request()
    {
        await using var app = await TestApp.StartAsync();
        var manager = app.App.Services.GetRequiredService<ListenerManager>();
        await manager.StartAsync("alloc", new ListenerOptions());
        var listener = manager.Find("alloc");
        listener.ShouldNotBeNull();

        // A request of the listener, as Kestrel presents it: the listener feature comes from the connection.
        var context = new DefaultHttpContext();
        context.Features.Set<IRoadrunnerListenerFeature>(listener);
        var middleware = new RoadrunnerDrainMiddleware(static _ => Task.CompletedTask, manager);

        await middleware.InvokeAsync(context); // Warm-up: the feature collection grows its storage once.
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10_000; i++)
        {
            await middleware.InvokeAsync(context);
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        allocated.ShouldBe(0);
        context.GetDrainSignal().ListenerName.ShouldBe("alloc");
    }
}
