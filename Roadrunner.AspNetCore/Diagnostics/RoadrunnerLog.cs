using Microsoft.Extensions.Logging;

namespace Roadrunner.AspNetCore.Diagnostics;

/// <summary>Log messages with stable event ids. Highest id: 13.</summary>
internal static partial class RoadrunnerLog
{
    [LoggerMessage(1, LogLevel.Information, "Listener '{ListenerName}' started on {Url} ({Protocols}).", EventName = "ListenerStarted")]
    public static partial void ListenerStarted(ILogger logger, string listenerName, string url, ListenerProtocols protocols);

    [LoggerMessage(2, LogLevel.Information, "Listener '{ListenerName}' stopped; {OpenConnections} connection(s) still open.", EventName = "ListenerStopped")]
    public static partial void ListenerStopped(ILogger logger, string listenerName, int openConnections);

    [LoggerMessage(3, LogLevel.Warning, "Listener '{ListenerName}' could not bind {EndPoint}.", EventName = "ListenerBindFailed")]
    public static partial void ListenerBindFailed(ILogger logger, string listenerName, string endPoint, Exception exception);

    [LoggerMessage(4, LogLevel.Debug, "Listener '{ListenerName}' rejected a connection from {RemoteEndPoint}: {MaxConnections} connection(s) open.", EventName = "ConnectionRejected")]
    public static partial void ConnectionRejected(ILogger logger, string listenerName, string? remoteEndPoint, int maxConnections);

    [LoggerMessage(5, LogLevel.Information, "Draining listener '{ListenerName}': {Connections} connection(s), deadline {Deadline:O}.", EventName = "DrainStarted")]
    public static partial void DrainStarted(ILogger logger, string listenerName, int connections, DateTimeOffset deadline);

    [LoggerMessage(6, LogLevel.Information, "Drain of '{ListenerName}' ended {Outcome} in {ElapsedMs} ms: {Graceful} graceful, {Aborted} aborted, {Acknowledged} acknowledged.", EventName = "DrainCompleted")]
    public static partial void DrainCompleted(ILogger logger, string listenerName, DrainOutcome outcome, long elapsedMs, int graceful, int aborted, int acknowledged);

    [LoggerMessage(7, LogLevel.Debug, "Request {RequestId} on '{ListenerName}' acknowledged the drain; {RemainingMs} ms of grace left.", EventName = "DrainAcknowledged")]
    public static partial void DrainAcknowledged(ILogger logger, string requestId, string? listenerName, long? remainingMs);

    [LoggerMessage(8, LogLevel.Information, "Connection {ConnectionId} on '{ListenerName}' was still open at the drain deadline and was aborted.", EventName = "ConnectionAbortedAtDeadline")]
    public static partial void ConnectionAbortedAtDeadline(ILogger logger, string connectionId, string listenerName);

    [LoggerMessage(9, LogLevel.Information, "Soft drain of '{ListenerName}' sent; deadline {Deadline:O}.", EventName = "DrainNotified")]
    public static partial void DrainNotified(ILogger logger, string listenerName, DateTimeOffset deadline);

    [LoggerMessage(10, LogLevel.Error, "A drain-signal callback of '{ListenerName}' threw.", EventName = "DrainCallbackFailed")]
    public static partial void DrainCallbackFailed(ILogger logger, string? listenerName, Exception exception);

    [LoggerMessage(11, LogLevel.Information, "Host is stopping: draining {Count} listener(s) with a deadline of {Deadline:O}.", EventName = "HostShutdownDrain")]
    public static partial void HostShutdownDrain(ILogger logger, int count, DateTimeOffset deadline);

    [LoggerMessage(12, LogLevel.Debug, "Binding server URL {Url} next to the Roadrunner endpoints.", EventName = "ServerUrlBound")]
    public static partial void ServerUrlBound(ILogger logger, string url);

    [LoggerMessage(13, LogLevel.Error, "Accept loop of listener '{ListenerName}' failed.", EventName = "AcceptLoopFailed")]
    public static partial void AcceptLoopFailed(ILogger logger, string listenerName, Exception exception);
}
