using System.Net;

namespace Roadrunner.AspNetCore.Transport.ProxyProtocol;

/// <summary>
/// A parsed PROXY protocol header. <see cref="Source"/> and <see cref="Destination"/> are set only for a <c>PROXY</c>
/// command over TCP/IPv4 or TCP/IPv6; a <c>LOCAL</c> command, v1 <c>UNKNOWN</c> or another v2 family (UNIX, UDP,
/// UNSPEC) leaves them <see langword="null"/> and the connection keeps the proxy's addresses.
/// </summary>
/// <param name="Length">The header's length in bytes: what is consumed from the connection.</param>
/// <param name="Version">1 or 2.</param>
/// <param name="Source">The original client.</param>
/// <param name="Destination">The address the client connected to, at the proxy.</param>
internal readonly record struct ProxyHeader(int Length, int Version, IPEndPoint? Source, IPEndPoint? Destination)
{
    /// <summary>Whether the header carries addresses to use.</summary>
    public bool HasAddresses => Source is not null;
}
