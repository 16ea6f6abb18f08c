using System.Globalization;
using System.Net.ServerSentEvents;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.HttpResults;
using Roadrunner.AspNetCore;

namespace Roadrunner.Example;

/// <summary>
/// Endpoints on every listener that show how handlers of each kind take part in a drain: a plain request just
/// finishes, a long-poll answers 503 + Retry-After, an SSE stream sends a last "drain" event, a WebSocket closes
/// with 1001. <c>?ignoreDrain=true</c> on <c>/ws</c> shows what happens to a handler that does not listen: it is
/// aborted at the deadline.
/// </summary>
public static class DemoEndpoints
{
    public const int MaxWaitMs = 60_000;
    private static readonly TimeSpan TickInterval = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan SseRetry = TimeSpan.FromSeconds(2);

    public static IEndpointRouteBuilder MapDemoEndpoints(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);

        // Which listener answered.
        app.MapGet("/", (HttpContext context) => TypedResults.Text($"listener={context.GetListenerName() ?? "(none)"}\n"));

        // A request that simply takes a while: a drain waits for it.
        app.MapGet("/slow", async Task<IResult> (HttpContext context, string? ms) =>
        {
            if (!TryParseWait(ms, out var wait))
            {
                return WaitProblem("ms", ms);
            }

            await Task.Delay(wait, context.RequestAborted);
            return TypedResults.Text("done\n");
        });

        // Long-poll: 204 after ms, or 503 + Retry-After as soon as a drain (or soft drain) reaches it.
        app.MapGet("/longpoll", async Task<IResult> (HttpContext context, string? ms) =>
        {
            if (!TryParseWait(ms, out var wait))
            {
                return WaitProblem("ms", ms);
            }

            var drain = context.GetDrainToken();
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(drain, context.RequestAborted);
            try
            {
                await Task.Delay(wait, stop.Token);
                return TypedResults.NoContent();
            }
            catch (OperationCanceledException) when (drain.IsCancellationRequested && !context.RequestAborted.IsCancellationRequested)
            {
                return RoadrunnerResults.Draining(); // Acknowledges the drain.
            }
        });

        // Server-Sent Events: "tick" every 500 ms; on drain a last "drain" event with the grace left and a retry hint.
        app.MapGet("/sse", (HttpContext context) =>
            TypedResults.ServerSentEvents(
                Ticks(context.RequestAborted).UntilDrain(
                    context,
                    signal => new SseItem<string>(
                        $"{{\"remainingMs\":{(long)(signal.RemainingTime ?? TimeSpan.Zero).TotalMilliseconds}}}",
                        "drain")
                    {
                        ReconnectionInterval = SseRetry,
                    },
                    context.RequestAborted)));

        // WebSocket echo (text and binary).
        app.Map("/ws", async Task<IResult> (HttpContext context, string? ignoreDrain) =>
        {
            if (!context.WebSockets.IsWebSocketRequest)
            {
                return TypedResults.Problem(
                    statusCode: StatusCodes.Status400BadRequest,
                    detail: "/ws expects a WebSocket upgrade (GET with Connection: Upgrade and Upgrade: websocket).");
            }

            var ignore = false;
            if (ignoreDrain is not null && !bool.TryParse(ignoreDrain, out ignore))
            {
                return TypedResults.Problem(
                    statusCode: StatusCodes.Status400BadRequest,
                    detail: $"ignoreDrain: must be true or false (got '{ignoreDrain}').");
            }

            if (ignore)
            {
                await EchoIgnoringDrainAsync(await context.WebSockets.AcceptWebSocketAsync());
            }
            else
            {
                await EchoUntilDrainAsync(await context.AcceptDrainAwareWebSocketAsync());
            }

            return TypedResults.Empty;
        });

        // Reads the whole request body and says how big it was: makes a listener's MaxRequestBodySize (413) and
        // MinRequestBodyDataRate visible from outside.
        app.MapPost("/upload", async (HttpContext context) => TypedResults.Json(new UploadResult(await CountBodyAsync(context))));

        return app;
    }

    private static async Task<long> CountBodyAsync(HttpContext context)
    {
        var buffer = new byte[16 * 1024];
        long total = 0;
        int read;
        while ((read = await context.Request.Body.ReadAsync(buffer, context.RequestAborted)) > 0)
        {
            total += read;
        }

        return total;
    }

    /// <summary>Echoes until the client closes, or the drain comes: then acknowledge and close with 1001.</summary>
    private static async Task EchoUntilDrainAsync(DrainAwareWebSocket socket)
    {
        var buffer = new byte[4096]; // The same buffer for every call, as DrainAwareWebSocket asks.
        try
        {
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer);
                if (result.IsDrain)
                {
                    await socket.CloseForDrainAsync("listener draining");
                    return;
                }

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    await CloseAsync(socket.WebSocket);
                    return;
                }

                await socket.WebSocket.SendAsync(buffer.AsMemory(0, result.Count), result.MessageType, result.EndOfMessage, CancellationToken.None);
            }
        }
        catch (Exception ex) when (IsDisconnect(ex))
        {
            // The client went away, or the connection was aborted at a drain deadline.
        }
    }

    /// <summary>A plain echo loop that never looks at the drain signal: a drain can only abort it at the deadline.</summary>
    private static async Task EchoIgnoringDrainAsync(WebSocket socket)
    {
        var buffer = new byte[4096];
        try
        {
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer.AsMemory(), CancellationToken.None);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    await CloseAsync(socket);
                    return;
                }

                await socket.SendAsync(buffer.AsMemory(0, result.Count), result.MessageType, result.EndOfMessage, CancellationToken.None);
            }
        }
        catch (Exception ex) when (IsDisconnect(ex))
        {
            // Aborted at the drain deadline (or the client went away).
        }
    }

    private static Task CloseAsync(WebSocket socket) =>
        socket.State == WebSocketState.CloseReceived
            ? socket.CloseOutputAsync(socket.CloseStatus ?? WebSocketCloseStatus.NormalClosure, socket.CloseStatusDescription, CancellationToken.None)
            : Task.CompletedTask;

    private static bool IsDisconnect(Exception ex) =>
        ex is WebSocketException or IOException or OperationCanceledException or ConnectionAbortedException or ObjectDisposedException;

    private static async IAsyncEnumerable<SseItem<string>> Ticks([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TickInterval);
        for (var i = 0L; ; i++)
        {
            yield return new SseItem<string>(i.ToString(CultureInfo.InvariantCulture), "tick");
            await timer.WaitForNextTickAsync(cancellationToken);
        }
    }

    private static bool TryParseWait(string? value, out int ms) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out ms) && ms <= MaxWaitMs;

    private static ProblemHttpResult WaitProblem(string name, string? value) =>
        TypedResults.Problem(
            statusCode: StatusCodes.Status400BadRequest,
            detail: value is null
                ? $"{name}: required, an integer between 0 and {MaxWaitMs} (milliseconds)."
                : $"{name}: must be an integer between 0 and {MaxWaitMs} (got '{(value.Length > 32 ? value[..32] + "…" : value)}').");
}

/// <summary>The answer of <c>POST /upload</c>: <c>{"bytes":n}</c>.</summary>
/// <param name="Bytes">The request body's size.</param>
public sealed record UploadResult(long Bytes);
