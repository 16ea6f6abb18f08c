using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using Roadrunner.AspNetCore;

namespace Microsoft.AspNetCore.Http;

/// <summary>Ends Server-Sent Event streams cleanly on drain.</summary>
public static class RoadrunnerServerSentEventsExtensions
{
    /// <summary>
    /// Streams <paramref name="source"/> until the request's drain signal fires, then acknowledges the drain,
    /// yields one final item built by <paramref name="drainItem"/> (give it a
    /// <see cref="SseItem{T}.ReconnectionInterval"/> to send a <c>retry:</c> hint; on a listener with a
    /// <see cref="ListenerOptions.DrainSpread"/> the hint gets a random 0–50 % more) and ends the stream. Use with
    /// <c>TypedResults.ServerSentEvents(...)</c>. The source is enumerated with a token that fires on drain, so a
    /// source that honours its <see cref="EnumeratorCancellationAttribute"/> token stops at once.
    /// </summary>
    /// <typeparam name="T">The item data type.</typeparam>
    /// <param name="source">The events to stream.</param>
    /// <param name="context">The SSE request.</param>
    /// <param name="drainItem">Builds the final event from the drain signal (deadline, remaining time).</param>
    /// <param name="cancellationToken">Ends the stream without a final event (e.g. client gone).</param>
    /// <returns>The stream, ending with the drain event.</returns>
    public static async IAsyncEnumerable<SseItem<T>> UntilDrain<T>(
        this IAsyncEnumerable<SseItem<T>> source,
        HttpContext context,
        Func<IRoadrunnerDrainFeature, SseItem<T>> drainItem,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(drainItem);

        var signal = context.GetDrainSignal();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(signal.DrainRequested, cancellationToken);
        var items = source.GetAsyncEnumerator(stop.Token);
        try
        {
            while (!signal.IsDraining)
            {
                bool hasItem;
                try
                {
                    hasItem = await items.MoveNextAsync().ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (signal.IsDraining && !cancellationToken.IsCancellationRequested)
                {
                    break;
                }

                if (!hasItem)
                {
                    yield break;
                }

                yield return items.Current;
            }
        }
        finally
        {
            await items.DisposeAsync().ConfigureAwait(false);
        }

        if (cancellationToken.IsCancellationRequested)
        {
            yield break;
        }

        context.AcknowledgeDrain();
        yield return WithJitter(drainItem(signal), context);
    }

    /// <summary>
    /// On a listener with a drain spread, the <c>retry:</c> hint is stretched by a random 0–50 %, so clients that were
    /// told in the same slot of the spread do not all come back in the same instant either.
    /// </summary>
    private static SseItem<T> WithJitter<T>(SseItem<T> item, HttpContext context) =>
        item.ReconnectionInterval is { } retry
            && retry > TimeSpan.Zero
            && context.Features.Get<IRoadrunnerListenerFeature>() is Roadrunner.AspNetCore.Listeners.RuntimeListener { DrainSpread: var spread }
            && spread > TimeSpan.Zero
                ? item with { ReconnectionInterval = retry + (retry * (Random.Shared.NextDouble() / 2)) }
                : item;
}
