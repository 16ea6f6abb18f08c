using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Roadrunner.AspNetCore.Transport;

/// <summary>
/// The socket transport that binds the runtime listeners' real sockets. A private instance, so it is never
/// confused with the <see cref="IConnectionListenerFactory"/> registrations Kestrel itself picks from; it
/// honours the app's <see cref="SocketTransportOptions"/>.
/// </summary>
internal sealed class SocketFactoryHolder(IOptions<SocketTransportOptions> options, ILoggerFactory loggerFactory)
{
    public IConnectionListenerFactory Factory { get; } = new SocketTransportFactory(options, loggerFactory);
}
