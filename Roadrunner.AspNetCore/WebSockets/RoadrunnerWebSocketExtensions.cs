using System.Net.WebSockets;
using Roadrunner.AspNetCore;

namespace Microsoft.AspNetCore.Http;

/// <summary>Drain helpers for WebSocket handlers.</summary>
public static class RoadrunnerWebSocketExtensions
{
    /// <summary>Wraps an accepted WebSocket in a <see cref="DrainAwareWebSocket"/> bound to the request's drain signal.</summary>
    /// <param name="webSocket">The accepted WebSocket.</param>
    /// <param name="context">The upgrade request.</param>
    /// <returns>The drain-aware wrapper.</returns>
    public static DrainAwareWebSocket WithDrain(this WebSocket webSocket, HttpContext context) => new(webSocket, context);

    /// <summary>Accepts the WebSocket request and wraps the socket in a <see cref="DrainAwareWebSocket"/>.</summary>
    /// <param name="context">The upgrade request.</param>
    /// <returns>The drain-aware WebSocket.</returns>
    public static async Task<DrainAwareWebSocket> AcceptDrainAwareWebSocketAsync(this HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var webSocket = await context.WebSockets.AcceptWebSocketAsync().ConfigureAwait(false);
        return new DrainAwareWebSocket(webSocket, context);
    }
}
