using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;

namespace Roadrunner.AspNetCore.Transport;

/// <summary>A bound, listening socket, bound the way Kestrel's socket transport binds (dual mode for <c>[::]</c>).</summary>
internal sealed class ListenSocket : IDisposable
{
    private readonly Socket _socket;

    private ListenSocket(Socket socket)
    {
        _socket = socket;
        EndPoint = socket.LocalEndPoint!;
    }

    /// <summary>The bound endpoint, with the real port when port 0 was asked for.</summary>
    public EndPoint EndPoint { get; }

    /// <exception cref="ListenerBindException">The address is in use, not local, or not permitted.</exception>
    public static ListenSocket Bind(string listenerName, EndPoint endPoint, int backlog, Action? afterBind = null)
    {
        try
        {
            return Bind(endPoint, backlog, afterBind);
        }
        catch (AddressInUseException ex)
        {
            throw new ListenerBindException(listenerName, endPoint, addressInUse: true, ex);
        }
        catch (SocketException ex)
        {
            throw new ListenerBindException(listenerName, endPoint, ex.SocketErrorCode == SocketError.AddressAlreadyInUse, ex);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new ListenerBindException(listenerName, endPoint, addressInUse: false, ex);
        }
    }

    /// <param name="endPoint">The endpoint.</param>
    /// <param name="backlog">The listen backlog.</param>
    /// <param name="afterBind">Runs between bind and listen (a Unix socket file's mode is set before anyone can connect).</param>
    private static ListenSocket Bind(EndPoint endPoint, int backlog, Action? afterBind)
    {
        var socket = endPoint is UnixDomainSocketEndPoint
            ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
            : new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (endPoint is IPEndPoint { Address: var address } && address.Equals(IPAddress.IPv6Any))
            {
                socket.DualMode = true; // As Kestrel: [::] serves IPv4 too.
            }

            socket.Bind(endPoint);
            afterBind?.Invoke();
            socket.Listen(backlog);
            return new ListenSocket(socket);
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            socket.Dispose();
            throw new AddressInUseException(ex.Message, ex);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>The next connected socket; <see langword="null"/> once unbound.</summary>
    /// <param name="interrupt">Ends a pending accept without a connection (the socket stays bound).</param>
    /// <exception cref="SocketException">Accept failed (out of file descriptors, connection reset in the backlog, ...).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="interrupt"/> fired.</exception>
    public async ValueTask<Socket?> AcceptAsync(CancellationToken interrupt)
    {
        try
        {
            return await _socket.AcceptAsync(interrupt).ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
            return null;
        }
        catch (SocketException ex) when (ex.SocketErrorCode is SocketError.OperationAborted or SocketError.Interrupted)
        {
            interrupt.ThrowIfCancellationRequested();
            return null;
        }
    }

    /// <summary>Closes the listen socket: new connects are refused, and a pending accept returns <see langword="null"/>.</summary>
    public void Dispose() => _socket.Dispose();
}
