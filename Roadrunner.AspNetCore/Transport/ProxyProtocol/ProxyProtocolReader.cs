using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;

namespace Roadrunner.AspNetCore.Transport.ProxyProtocol;

/// <summary>
/// Reads a connection's PROXY protocol header from its transport pipe before Kestrel sees the connection: it consumes
/// exactly the header, so the bytes after it (a TLS ClientHello, an HTTP request) stay in the pipe for Kestrel, and
/// sets the connection's endpoints from it.
/// </summary>
internal static class ProxyProtocolReader
{
    /// <summary>The header timeout when <see cref="ListenerOptions.ProxyProtocolHeaderTimeout"/> is not set.</summary>
    public static readonly TimeSpan DefaultHeaderTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Reads and applies the header if it is in the pipe already: a proxy sends it as it connects, so it often is by the
    /// time the socket is accepted and started, and then no timer and no wait are needed. <see langword="true"/> when
    /// that decided the connection (<paramref name="rejection"/> null: the header was applied); <see langword="false"/>
    /// when <see cref="ReadAsync"/> must wait for more.
    /// </summary>
    public static bool TryReadBuffered(ConnectionContext connection, ProxyProtocolMode mode, out ProxyProtocolRejection? rejection)
    {
        var input = connection.Transport.Input;
        if (input.TryRead(out var result))
        {
            return Examine(connection, input, result, mode, out rejection);
        }

        rejection = null;
        return false;
    }

    /// <summary>Reads and applies the header; the rejection when there is no valid one in time.</summary>
    public static async Task<ProxyProtocolRejection?> ReadAsync(ConnectionContext connection, ProxyProtocolMode mode, TimeSpan timeout, TimeProvider timeProvider)
    {
        var input = connection.Transport.Input;
        using var deadline = new CancellationTokenSource(timeout, timeProvider);
        while (true)
        {
            ReadResult result;
            try
            {
                result = await input.ReadAsync(deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested)
            {
                return ProxyProtocolRejection.Timeout;
            }
            catch (Exception ex) when (ex is IOException or ConnectionAbortedException or ConnectionResetException or ObjectDisposedException or InvalidOperationException)
            {
                return ProxyProtocolRejection.Incomplete; // Reset by the peer, or cut by a drain deadline.
            }

            if (Examine(connection, input, result, mode, out var rejection))
            {
                return rejection;
            }
        }
    }

    /// <summary>
    /// Parses what the read brought and advances the pipe. <see langword="true"/> when that decides the connection
    /// (<paramref name="rejection"/> null: the header was applied); <see langword="false"/> when more bytes are needed.
    /// </summary>
    private static bool Examine(ConnectionContext connection, PipeReader input, ReadResult result, ProxyProtocolMode mode, out ProxyProtocolRejection? rejection)
    {
        var buffer = result.Buffer;
        var status = ProxyProtocolParser.TryParse(buffer, mode, out var header, out var parsed);
        if (status == ProxyParseStatus.Complete)
        {
            input.AdvanceTo(buffer.GetPosition(header.Length));
            if (header.HasAddresses)
            {
                connection.RemoteEndPoint = header.Source;
                connection.LocalEndPoint = header.Destination;
            }

            rejection = null;
            return true;
        }

        // Examined everything: the next read waits for more bytes.
        input.AdvanceTo(buffer.Start, buffer.End);
        if (status == ProxyParseStatus.Rejected)
        {
            rejection = parsed;
            return true;
        }

        if (result.IsCompleted || result.IsCanceled)
        {
            rejection = ProxyProtocolRejection.Incomplete;
            return true;
        }

        rejection = null;
        return false;
    }
}
