using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Roadrunner.AspNetCore.Diagnostics;

namespace Roadrunner.AspNetCore.Transport;

/// <summary>
/// What the runtime listeners' own accept loops need from Kestrel's socket transport: one shared
/// <see cref="SocketConnectionContextFactory"/> (its memory pools and I/O queues serve every listener, as
/// Kestrel's one transport serves every endpoint) and the app's <see cref="SocketTransportOptions"/>.
/// The listeners own their listen sockets and accept loops, so they can back off when the process runs
/// out of file descriptors, which Kestrel's transport does not (it retries at once, in a tight loop).
/// </summary>
internal sealed class SocketFactoryHolder : IDisposable
{
    public SocketFactoryHolder(IOptions<SocketTransportOptions> options, ILoggerFactory loggerFactory)
    {
        var transport = options.Value;
        Options = transport;
        Factory = new SocketConnectionContextFactory(
            OptionsFor(transport, loggerFactory.CreateLogger(RoadrunnerDiagnostics.TransportCategory)),
            // Kestrel's own category for socket connections, so existing log filters apply to listener connections too.
            loggerFactory.CreateLogger("Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets"));
    }

    public SocketTransportOptions Options { get; }

    public SocketConnectionContextFactory Factory { get; }

    // The container disposes this after Kestrel has stopped, when no connection uses the pools any more.
    public void Dispose() => Factory.Dispose();

    private static SocketConnectionFactoryOptions OptionsFor(SocketTransportOptions transport, ILogger logger)
    {
        // Kestrel builds its own endpoints' factory options with this internal constructor, which also carries the
        // transport's memory-pool factory (the pinned-block pools Kestrel registers). The public constructor has no way
        // to set one and falls back to MemoryPool<byte>.Shared: every HTTP/2 stream and TLS connection then rents its
        // buffers from ArrayPool.Shared, which keeps too few to serve them (measured: about 3 KB allocated per h2c request).
        try
        {
            return CreateFromTransportOptions(transport);
        }
        catch (MissingMethodException)
        {
            RoadrunnerLog.KestrelMemoryPoolUnavailable(logger);
            return new SocketConnectionFactoryOptions
            {
                IOQueueCount = transport.IOQueueCount,
                WaitForDataBeforeAllocatingBuffer = transport.WaitForDataBeforeAllocatingBuffer,
                MaxReadBufferSize = transport.MaxReadBufferSize,
                MaxWriteBufferSize = transport.MaxWriteBufferSize,
                UnsafePreferInlineScheduling = transport.UnsafePreferInlineScheduling,
            };
        }
    }

    [UnsafeAccessor(UnsafeAccessorKind.Constructor)]
    private static extern SocketConnectionFactoryOptions CreateFromTransportOptions(SocketTransportOptions transportOptions);
}
