using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace Roadrunner.AspNetCore.Tests.Limits;

/// <summary>Endpoints the limit tests need: a body reader and requests held open on a gate until the test releases them.</summary>
internal static class LimitEndpoints
{
    private static readonly ConcurrentDictionary<string, Gate> Gates = new();

    public static Gate GateFor(string key) => Gates.GetOrAdd(key, _ => new Gate());

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapPost("/upload", async (HttpContext context) => new { bytes = await ReadAllAsync(context) });

        // An endpoint's own limit wins over the listener's.
        app.MapPost("/upload-4mb", async (HttpContext context) => new { bytes = await ReadAllAsync(context) })
            .WithMetadata(new RequestSizeLimitAttribute(4_000_000));

        app.MapGet("/block", async (string key, HttpContext context) =>
        {
            var gate = GateFor(key);
            gate.Enter();
            await gate.Released.WaitAsync(context.RequestAborted);
            return "released";
        });
    }

    private static async Task<long> ReadAllAsync(HttpContext context)
    {
        var buffer = new byte[16384];
        long total = 0;
        int n;
        while ((n = await context.Request.Body.ReadAsync(buffer, context.RequestAborted)) > 0)
        {
            total += n;
        }

        return total;
    }

    public sealed class Gate
    {
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly SemaphoreSlim _entered = new(0);
        private int _count;

        public Task Released => _released.Task;

        public int Entered => Volatile.Read(ref _count);

        public void Enter()
        {
            Interlocked.Increment(ref _count);
            _entered.Release();
        }

        public void Release() => _released.TrySetResult();

        /// <summary>Waits until <paramref name="count"/> requests are inside the handler.</summary>
        public async Task WaitEnteredAsync(int count, TimeSpan timeout)
        {
            for (var i = 0; i < count; i++)
            {
                (await _entered.WaitAsync(timeout)).ShouldBeTrue($"only {Entered} of {count} requests entered the handler");
            }
        }
    }
}
