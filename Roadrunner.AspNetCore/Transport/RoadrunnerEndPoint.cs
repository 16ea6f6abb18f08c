using System.Net;

namespace Roadrunner.AspNetCore.Transport;

/// <summary>
/// The placeholder Kestrel endpoint of one <see cref="TransportShape"/>. Kestrel shows it in
/// <c>IServerAddressesFeature</c> as <c>{scheme}://{ToString()}</c>, which must parse as a URI
/// (WebApplicationFactory parses those): <c>http://roadrunner-http1</c>.
/// </summary>
internal sealed class RoadrunnerEndPoint(TransportShape shape) : EndPoint
{
    public TransportShape Shape { get; } = shape;

    public override string ToString() => Shape switch
    {
        TransportShape.Http1 => "roadrunner-http1",
        TransportShape.Http2 => "roadrunner-h2c",
        _ => "roadrunner-tls",
    };
}
