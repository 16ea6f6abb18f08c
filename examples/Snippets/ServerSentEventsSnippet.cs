// <readme:sse>
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;

// </readme:sse>
namespace Snippets;

/// <summary>The README's Server-Sent Events block: a stream that ends with a "drain" event and a retry hint.</summary>
internal static class ServerSentEventsSnippet
{
    internal static void Map(WebApplication app)
    {
        // <readme:sse>
        app.MapGet("/sse", (HttpContext ctx) => TypedResults.ServerSentEvents(
            Ticks(ctx.RequestAborted).UntilDrain(ctx,
                signal => new SseItem<string>($"{{\"remainingMs\":{(long)(signal.RemainingTime ?? TimeSpan.Zero).TotalMilliseconds}}}", "drain")
                { ReconnectionInterval = TimeSpan.FromSeconds(2) })));

        // Your event source: any IAsyncEnumerable<SseItem<T>>. This one sends a "tick" every second.
        static async IAsyncEnumerable<SseItem<string>> Ticks([EnumeratorCancellation] CancellationToken cancellationToken)
        {
            while (true)
            {
                yield return new SseItem<string>(DateTimeOffset.UtcNow.ToString("O"), "tick");
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            }
        }
        // </readme:sse>
    }
}
