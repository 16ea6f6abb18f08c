// <readme:longpoll>
using Roadrunner.AspNetCore;                     // already in the Quick start

// </readme:longpoll>
namespace Snippets;

/// <summary>The README's long-poll block: a pending poll answers 503 + Retry-After when its listener drains.</summary>
internal static class LongPollSnippet
{
    internal static void Map(WebApplication app)
    {
        // <readme:longpoll>
        app.MapGet("/poll", async (HttpContext ctx) =>
        {
            try
            {
                return Results.Ok(await NextMessageAsync(ctx.GetDrainToken()));
            }
            catch (OperationCanceledException) when (ctx.GetDrainToken().IsCancellationRequested)
            {
                // Acknowledges the drain; 503 with Retry-After: 3 and Connection: close.
                return RoadrunnerResults.Draining(retryAfter: TimeSpan.FromSeconds(3));
            }
        });

        // Your message source: the next message, or OperationCanceledException once the token fires.
        static async Task<string> NextMessageAsync(CancellationToken cancellationToken)
        {
            await Task.Delay(TimeSpan.FromSeconds(30), cancellationToken);
            return $"no news at {DateTimeOffset.UtcNow:O}";
        }
        // </readme:longpoll>
    }
}
