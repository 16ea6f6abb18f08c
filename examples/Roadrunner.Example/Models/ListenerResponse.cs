using Roadrunner.AspNetCore;

namespace Roadrunner.Example.Models;

/// <summary>A listener as the admin API shows it (a flattened <see cref="ListenerInfo"/>).</summary>
public sealed record ListenerResponse(
    string Name,
    string Address,
    int Port,
    string Scheme,
    ListenerProtocols Protocols,
    ListenerStatus Status,
    int ActiveConnections,
    int? MaxConnections,
    long RequestsServed,
    long Rejected,
    DateTimeOffset StartedAt)
{
    public static ListenerResponse From(ListenerInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        return new ListenerResponse(
            info.Name,
            info.EndPoint.Address.ToString(),
            info.EndPoint.Port,
            info.Scheme,
            info.Protocols,
            info.Status,
            info.ActiveConnections,
            info.MaxConnections,
            info.RequestsServed,
            info.ConnectionsRejected,
            info.StartedAt);
    }
}
