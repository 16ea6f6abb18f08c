using System.Net;
using Microsoft.AspNetCore.Connections;

namespace Roadrunner.AspNetCore.Transport;

/// <summary>
/// Binds Roadrunner's placeholder endpoints, and only those: as an <see cref="IConnectionListenerFactorySelector"/>
/// it tells Kestrel to hand ordinary IP endpoints to the socket transport.
/// </summary>
internal sealed class RoadrunnerConnectionListenerFactory : IConnectionListenerFactory, IConnectionListenerFactorySelector
{
    private readonly ConnectionMultiplexer[] _multiplexers =
    [
        new(new RoadrunnerEndPoint(TransportShape.Http1)),
        new(new RoadrunnerEndPoint(TransportShape.Http2)),
        new(new RoadrunnerEndPoint(TransportShape.Tls)),
    ];

    public RoadrunnerEndPoint GetEndPoint(TransportShape shape) => (RoadrunnerEndPoint)_multiplexers[(int)shape].EndPoint;

    public ConnectionMultiplexer GetMultiplexer(TransportShape shape) => _multiplexers[(int)shape];

    /// <summary>Whether Kestrel has bound every placeholder endpoint.</summary>
    public bool AllBound => _multiplexers.All(m => m.IsBound);

    public bool CanBind(EndPoint endpoint) => endpoint is RoadrunnerEndPoint;

    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        if (endpoint is not RoadrunnerEndPoint roadrunnerEndPoint)
        {
            throw new NotSupportedException($"{nameof(RoadrunnerConnectionListenerFactory)} binds only Roadrunner placeholder endpoints, not {endpoint}.");
        }

        var multiplexer = _multiplexers[(int)roadrunnerEndPoint.Shape];
        multiplexer.MarkBound();
        return ValueTask.FromResult<IConnectionListener>(multiplexer);
    }
}
