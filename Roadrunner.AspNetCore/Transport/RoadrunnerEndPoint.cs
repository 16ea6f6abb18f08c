using System.Net;

namespace Roadrunner.AspNetCore.Transport;

/// <summary>
/// The placeholder Kestrel endpoint of one <see cref="TransportShape"/>. Its string form shows up in
/// <c>IServerAddressesFeature</c>, so it is a valid URI (WebApplicationFactory parses those).
/// </summary>
internal sealed class RoadrunnerEndPoint(TransportShape shape) : EndPoint
{
    public TransportShape Shape { get; } = shape;

    public override string ToString() => Shape switch
    {
        TransportShape.Http1 => "http://roadrunner-http1",
        TransportShape.Http2 => "http://roadrunner-h2c",
        _ => "https://roadrunner-tls",
    };
}
