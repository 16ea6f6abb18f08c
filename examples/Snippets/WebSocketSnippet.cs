// <readme:websocket>
using System.Net.WebSockets;

// </readme:websocket>
namespace Snippets;

/// <summary>The README's WebSocket block: an echo that closes with 1001 when its listener drains.</summary>
internal static class WebSocketSnippet
{
    internal static void Map(WebApplication app)
    {
        // <readme:websocket>
        app.Map("/ws", async (HttpContext ctx) =>
        {
            if (!ctx.WebSockets.IsWebSocketRequest)
            {
                ctx.Response.StatusCode = StatusCodes.Status400BadRequest;
                return;
            }

            var socket = await ctx.AcceptDrainAwareWebSocketAsync();
            var buffer = new byte[4096];             // the same buffer for every ReceiveAsync
            while (true)
            {
                var r = await socket.ReceiveAsync(buffer);
                if (r.IsDrain)
                {
                    await socket.CloseForDrainAsync("server draining");   // acknowledges, sends 1001
                    break;
                }

                if (r.MessageType == WebSocketMessageType.Close)
                {
                    await socket.WebSocket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, default);
                    break;
                }

                await socket.WebSocket.SendAsync(buffer.AsMemory(0, r.Count), r.MessageType, r.EndOfMessage, default);
            }
        });
        // </readme:websocket>
    }
}
