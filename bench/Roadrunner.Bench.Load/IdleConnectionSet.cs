using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Roadrunner.Bench.Load;

/// <summary>
/// Many idle HTTP/1.1 keep-alive connections: each sent one request and read the response, then sits idle. Once
/// <see cref="StartWatching"/> is called each keeps a read pending and records when the server closed it.
/// </summary>
public sealed class IdleConnectionSet : IDisposable
{
    private readonly Socket[] _sockets;
    private readonly CloseWatch _closes;

    private IdleConnectionSet(Socket[] sockets)
    {
        _sockets = sockets;
        _closes = new CloseWatch(sockets.Length);
    }

    /// <summary>Connections in the set.</summary>
    public int Count => _sockets.Length;

    /// <summary>Connections the server has not closed yet (meaningful once watching).</summary>
    public int OpenCount => _closes.OpenCount;

    /// <summary>The latest close time seen (a <see cref="Stopwatch"/> timestamp), or 0.</summary>
    public long LastClosedAt => _closes.LastClosedAt;

    /// <summary>Opens <paramref name="count"/> connections to <paramref name="url"/>, <paramref name="parallelism"/> connects at a time.</summary>
    public static async Task<IdleConnectionSet> OpenAsync(
        Uri url,
        int count,
        IReadOnlyList<IPAddress> sourceAddresses,
        int parallelism = 64,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(url);
        ArgumentNullException.ThrowIfNull(sourceAddresses);
        var target = HttpWire.EndPointOf(url);
        var request = HttpWire.GetRequest(url);
        var sockets = new Socket[count];
        var next = -1;
        try
        {
            var workers = Enumerable.Range(0, Math.Min(parallelism, count)).Select(_ => Task.Run(
                async () =>
                {
                    var buffer = new byte[4096];
                    int i;
                    while ((i = Interlocked.Increment(ref next)) < count)
                    {
                        var source = sourceAddresses.Count > 0 ? sourceAddresses[i % sourceAddresses.Count] : null;
                        sockets[i] = await ConnectWithRetryAsync(target, source, cancellationToken).ConfigureAwait(false);
                        await sockets[i].SendAsync(request, SocketFlags.None, cancellationToken).ConfigureAwait(false);
                        var head = await HttpWire.ReadResponseAsync(sockets[i], buffer, cancellationToken).ConfigureAwait(false);
                        if (!head.IsSuccess || head.Close)
                        {
                            throw new InvalidOperationException($"Connection {i}: HTTP {head.Status}{(head.Close ? ", closed" : string.Empty)}.");
                        }
                    }
                },
                cancellationToken));
            await Task.WhenAll(workers).ConfigureAwait(false);
        }
        catch
        {
            foreach (var socket in sockets)
            {
                socket?.Dispose();
            }

            throw;
        }

        return new IdleConnectionSet(sockets);
    }

    private static async Task<Socket> ConnectWithRetryAsync(IPEndPoint target, IPAddress? source, CancellationToken cancellationToken)
    {
        // A burst of connects can overflow the listen backlog; the kernel then drops SYNs and connect waits for
        // the retransmit. Retry a few times on outright failures.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await HttpWire.ConnectAsync(target, source, cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException) when (attempt < 5)
            {
                await Task.Delay(20 * attempt, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Starts a pending read on every connection; a read that returns 0 or fails marks it closed.</summary>
    public void StartWatching()
    {
        _closes.Start(WatchAsync);
    }

    private async Task WatchAsync(int i)
    {
        var buffer = new byte[64];
        try
        {
            while (await _sockets[i].ReceiveAsync(buffer, SocketFlags.None).ConfigureAwait(false) > 0)
            {
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }

        _closes.MarkClosed(i);
    }

    /// <summary>Waits until the server has closed every connection, or <paramref name="timeout"/> passes.</summary>
    /// <returns><see langword="true"/> when all are closed.</returns>
    public Task<bool> WhenAllClosedAsync(TimeSpan timeout) => _closes.WhenAllClosedAsync(timeout);

    /// <summary>Closes every client socket.</summary>
    public void Dispose()
    {
        foreach (var socket in _sockets)
        {
            socket.Dispose();
        }
    }
}
