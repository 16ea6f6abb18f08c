using System.Net.WebSockets;

namespace Roadrunner.AspNetCore;

/// <summary>What <see cref="DrainAwareWebSocket.ReceiveAsync"/> returned: a message fragment, or the drain signal.</summary>
public readonly record struct WebSocketReceiveOrDrainResult
{
    internal WebSocketReceiveOrDrainResult(ValueWebSocketReceiveResult message)
    {
        Count = message.Count;
        MessageType = message.MessageType;
        EndOfMessage = message.EndOfMessage;
    }

    /// <summary><see langword="true"/> when the drain signal arrived before the next message; nothing was received.</summary>
    public bool IsDrain { get; private init; }

    /// <summary>Bytes received into the buffer.</summary>
    public int Count { get; }

    /// <summary>The message type (Close when the client closed).</summary>
    public WebSocketMessageType MessageType { get; }

    /// <summary>Whether this fragment ends the message.</summary>
    public bool EndOfMessage { get; }

    internal static WebSocketReceiveOrDrainResult Drain => new() { IsDrain = true };
}
