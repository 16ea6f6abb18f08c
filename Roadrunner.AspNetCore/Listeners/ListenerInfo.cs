using System.Net;

namespace Roadrunner.AspNetCore;

/// <summary>A snapshot of one listener's state and counters.</summary>
public sealed record ListenerInfo
{
    /// <summary>The listener's name.</summary>
    public required string Name { get; init; }

    /// <summary>The bound endpoint, with the real port when port 0 was asked for.</summary>
    public required IPEndPoint EndPoint { get; init; }

    /// <summary><c>http</c> or <c>https</c>.</summary>
    public required string Scheme { get; init; }

    /// <summary>The HTTP versions served.</summary>
    public required ListenerProtocols Protocols { get; init; }

    /// <summary><see cref="ListenerStatus.Accepting"/> or <see cref="ListenerStatus.Draining"/>.</summary>
    public required ListenerStatus Status { get; init; }

    /// <summary>Connections open right now.</summary>
    public required int ActiveConnections { get; init; }

    /// <summary>The connection cap, or <see langword="null"/> for none.</summary>
    public required int? MaxConnections { get; init; }

    /// <summary>Requests received on this listener since it started.</summary>
    public required long RequestsServed { get; init; }

    /// <summary>Connections closed at once because <see cref="MaxConnections"/> was reached.</summary>
    public required long ConnectionsRejected { get; init; }

    /// <summary>When the listener started accepting.</summary>
    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>The base URL of the listener, e.g. <c>http://127.0.0.1:5080</c>.</summary>
    public Uri Url => new($"{Scheme}://{(EndPoint.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{EndPoint.Address}]" : EndPoint.Address.ToString())}:{EndPoint.Port}");
}
