using System.Net.WebSockets;
using Microsoft.AspNetCore.Http;

namespace Roadrunner.AspNetCore;

/// <summary>
/// Wraps a server WebSocket so a handler can await "next message or drain" without cancelling the receive
/// (a cancelled <see cref="WebSocket.ReceiveAsync(Memory{byte}, CancellationToken)"/> aborts the socket and
/// the client sees 1006). A handler that loops on <see cref="ReceiveAsync"/> and calls
/// <see cref="CloseForDrainAsync"/> when it returns <see cref="WebSocketReceiveOrDrainResult.IsDrain"/> needs
/// no other drain code.
/// </summary>
/// <remarks>
/// When the drain wins the race the receive stays pending and is completed by the next call (or by the close
/// handshake), so pass the same buffer to every call. Not thread-safe, like <see cref="WebSocket"/> receives.
/// </remarks>
public sealed class DrainAwareWebSocket
{
    private readonly HttpContext _context;
    private readonly IRoadrunnerDrainFeature _signal;
    private Task<ValueWebSocketReceiveResult>? _pendingReceive;
    private Task? _drainTask;
    private bool _drainReported;

    /// <summary>Wraps <paramref name="webSocket"/>, accepted on <paramref name="context"/>.</summary>
    /// <param name="webSocket">The accepted server WebSocket.</param>
    /// <param name="context">The upgrade request, whose drain signal is watched.</param>
    public DrainAwareWebSocket(WebSocket webSocket, HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(webSocket);
        ArgumentNullException.ThrowIfNull(context);
        WebSocket = webSocket;
        _context = context;
        _signal = context.GetDrainSignal();
    }

    /// <summary>The wrapped WebSocket, for sending.</summary>
    public WebSocket WebSocket { get; }

    /// <summary>The drain signal of the upgrade request.</summary>
    public IRoadrunnerDrainFeature DrainSignal => _signal;

    /// <summary>
    /// Receives the next message fragment, or returns <see cref="WebSocketReceiveOrDrainResult.IsDrain"/> once when
    /// the drain signal fires first. Later calls receive normally.
    /// </summary>
    /// <param name="buffer">The receive buffer; use the same one for every call.</param>
    /// <param name="cancellationToken">Passed to the underlying receive: cancelling it aborts the socket.</param>
    /// <returns>The fragment, or the drain notice.</returns>
    public async ValueTask<WebSocketReceiveOrDrainResult> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_pendingReceive is null)
        {
            var receive = WebSocket.ReceiveAsync(buffer, cancellationToken);
            if (receive.IsCompleted || _drainReported)
            {
                return new WebSocketReceiveOrDrainResult(await receive.ConfigureAwait(false));
            }

            _pendingReceive = receive.AsTask();
        }

        if (!_drainReported)
        {
            _drainTask ??= WhenDrainRequested(_signal.DrainRequested);
            var first = await Task.WhenAny(_pendingReceive, _drainTask).ConfigureAwait(false);
            if (first == _drainTask && !_pendingReceive.IsCompleted)
            {
                _drainReported = true;
                return WebSocketReceiveOrDrainResult.Drain;
            }
        }

        var pending = _pendingReceive;
        _pendingReceive = null;
        return new WebSocketReceiveOrDrainResult(await pending.ConfigureAwait(false));
    }

    /// <summary>
    /// Acknowledges the drain, sends a close frame (1001 Going Away by default; 1012 Service Restart is
    /// <c>(WebSocketCloseStatus)1012</c>) and waits, until the drain deadline at most, for the client's close frame.
    /// </summary>
    /// <param name="statusDescription">The close reason sent to the client.</param>
    /// <param name="closeStatus">The close code.</param>
    /// <param name="cancellationToken">Cancels sending the close frame.</param>
    /// <returns>A task that completes when the close handshake is done or the deadline has passed.</returns>
    public async Task CloseForDrainAsync(
        string? statusDescription = "Server is draining",
        WebSocketCloseStatus closeStatus = WebSocketCloseStatus.EndpointUnavailable,
        CancellationToken cancellationToken = default)
    {
        _context.AcknowledgeDrain();
        if (WebSocket.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            await WebSocket.CloseOutputAsync(closeStatus, statusDescription, cancellationToken).ConfigureAwait(false);
        }

        // Wait for the client's close frame, reading (and discarding) what it still sends, but never past the
        // deadline: a silent client is left to the drain's abort.
        var scratch = new byte[1024];
        var waitLimit = _signal.RemainingTime ?? TimeSpan.FromSeconds(5);
        using var deadline = new CancellationTokenSource(waitLimit);
        var deadlineTask = Task.Delay(Timeout.Infinite, deadline.Token);
        while (WebSocket.State == WebSocketState.CloseSent)
        {
            var receive = _pendingReceive ?? WebSocket.ReceiveAsync(scratch.AsMemory(), CancellationToken.None).AsTask();
            _pendingReceive = null;
            if (await Task.WhenAny(receive, deadlineTask).ConfigureAwait(false) != receive)
            {
                _pendingReceive = receive;
                return;
            }

            if (receive.IsFaulted || receive.IsCanceled || receive.Result.MessageType == WebSocketMessageType.Close)
            {
                return;
            }
        }
    }

    private static Task WhenDrainRequested(CancellationToken token)
    {
        if (token.IsCancellationRequested || !token.CanBeCanceled)
        {
            return token.IsCancellationRequested ? Task.CompletedTask : new TaskCompletionSource().Task;
        }

        var completion = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        token.UnsafeRegister(static state => ((TaskCompletionSource)state!).TrySetResult(), completion);
        return completion.Task;
    }
}
