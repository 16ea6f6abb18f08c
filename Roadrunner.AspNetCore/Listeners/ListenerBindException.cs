using System.Net;

namespace Roadrunner.AspNetCore;

/// <summary>
/// Thrown by <see cref="IListenerManager.StartAsync"/> when the listen socket cannot be opened: the
/// address is in use, not local, or not permitted. The name is not registered and no socket stays open.
/// </summary>
public sealed class ListenerBindException : IOException
{
    /// <summary>Creates the exception.</summary>
    public ListenerBindException(string listenerName, EndPoint endPoint, bool addressInUse, Exception innerException)
        : base(addressInUse
            ? $"Listener '{listenerName}' cannot bind {endPoint}: the address is already in use."
            : $"Listener '{listenerName}' cannot bind {endPoint}: {innerException.Message}", innerException)
    {
        ListenerName = listenerName;
        EndPoint = endPoint;
        AddressInUse = addressInUse;
    }

    /// <summary>The listener that failed to start.</summary>
    public string ListenerName { get; }

    /// <summary>The endpoint that could not be bound.</summary>
    public EndPoint EndPoint { get; }

    /// <summary><see langword="true"/> when another socket already holds the address and port.</summary>
    public bool AddressInUse { get; }
}
