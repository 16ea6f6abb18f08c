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

            var buffer = result.Buffer;
            var status = ProxyProtocolParser.TryParse(buffer, mode, out var header, out var rejection);
            if (status == ProxyParseStatus.Complete)
            {
                input.AdvanceTo(buffer.GetPosition(header.Length));
                if (header.HasAddresses)
                {
                    connection.RemoteEndPoint = header.Source;
                    connection.LocalEndPoint = header.Destination;
                }

                return null;
            }

            // Examined everything: the next read waits for more bytes.
            input.AdvanceTo(buffer.Start, buffer.End);
            if (status == ProxyParseStatus.Rejected)
            {
                return rejection;
            }

            if (result.IsCompleted || result.IsCanceled)
            {
                return ProxyProtocolRejection.Incomplete;
            }
        }
    }
}
