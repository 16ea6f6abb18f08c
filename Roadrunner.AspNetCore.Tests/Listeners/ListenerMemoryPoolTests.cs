using System.Buffers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Roadrunner.AspNetCore.Tests.Infrastructure;

namespace Roadrunner.AspNetCore.Tests.Listeners;

/// <summary>
/// A listener's connections get Kestrel's own memory pool, as a plain endpoint's do: HTTP/2 streams and TLS rent their
/// buffers from the connection's pool, and with <see cref="MemoryPool{T}.Shared"/> instead they allocated about 3 KB per
/// h2c request (bench: h2c ratio 0.90 before the fix).
/// </summary>
public sealed class ListenerMemoryPoolTests
{
    [Fact]
    public async Task Listener_connections_use_the_same_pinned_block_pool_type_as_kestrels_own_endpoints()
    {
        await using var app = await TestApp.StartAsync(
            configureApp: a => a.MapGet("/pool", (HttpContext context) => context.Features.Get<IMemoryPoolFeature>()?.MemoryPool.GetType().FullName ?? "none"),
            plainEndpoint: true);
        var listener = await app.StartListenerAsync("pooled");
        using var plainClient = Net.Client(app.PlainUrl!);
        using var listenerClient = Net.Client(listener);

        var plain = await plainClient.GetStringAsync("/pool");
        var ours = await listenerClient.GetStringAsync("/pool");

        plain.ShouldNotBe(MemoryPool<byte>.Shared.GetType().FullName);
        ours.ShouldBe(plain);
        app.Logs.Entries.ShouldNotContain(e => e.EventId.Id == 26);
    }
}
