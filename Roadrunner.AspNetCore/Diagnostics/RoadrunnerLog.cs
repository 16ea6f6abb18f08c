using Microsoft.Extensions.Logging;

namespace Roadrunner.AspNetCore.Diagnostics;

/// <summary>Log messages with stable event ids: 1–25 listeners and drains, 30–39 limits, 40–44 updates and reload, 45–54 PROXY protocol and Unix sockets, 55–64 TLS, 65–74 admin.</summary>
internal static partial class RoadrunnerLog
{
    [LoggerMessage(1, LogLevel.Information, "Listener '{ListenerName}' started on {Url} ({Protocols}).", EventName = "ListenerStarted")]
    public static partial void ListenerStarted(ILogger logger, string listenerName, string url, ListenerProtocols protocols);

    [LoggerMessage(2, LogLevel.Information, "Listener '{ListenerName}' stopped ({Reason}); {OpenConnections} connection(s) still open.", EventName = "ListenerStopped")]
    public static partial void ListenerStopped(ILogger logger, string listenerName, string reason, int openConnections);

    [LoggerMessage(3, LogLevel.Warning, "Listener '{ListenerName}' could not bind {EndPoint}: {Reason}", EventName = "ListenerBindFailed")]
    public static partial void ListenerBindFailed(ILogger logger, string listenerName, string endPoint, string reason);

    [LoggerMessage(4, LogLevel.Warning, "Listener '{ListenerName}' is at its cap of {MaxConnections} connection(s): closed {Count} new connection(s) in the last {WindowSeconds} s. Raise Roadrunner:Listeners:{ListenerName}:MaxConnections or add capacity.", EventName = "ConnectionsRejected")]
    public static partial void ConnectionsRejected(ILogger logger, string listenerName, int maxConnections, int count, int windowSeconds);

    [LoggerMessage(5, LogLevel.Information, "Draining listener '{ListenerName}': {Connections} connection(s), deadline {Deadline:O} (none if empty).", EventName = "DrainStarted")]
    public static partial void DrainStarted(ILogger logger, string listenerName, int connections, DateTimeOffset? deadline);

    [LoggerMessage(EventId = 6, Message = "Drain of '{ListenerName}' ended {Outcome} in {ElapsedMs} ms: {Graceful} graceful, {Aborted} aborted, {Acknowledged} acknowledged.", EventName = "DrainCompleted")]
    public static partial void DrainCompleted(ILogger logger, LogLevel level, string listenerName, DrainOutcome outcome, long elapsedMs, int graceful, int aborted, int acknowledged);

    public static void DrainCompleted(ILogger logger, string listenerName, DrainOutcome outcome, long elapsedMs, int graceful, int aborted, int acknowledged) =>
        DrainCompleted(logger, aborted > 0 ? LogLevel.Warning : LogLevel.Information, listenerName, outcome, elapsedMs, graceful, aborted, acknowledged);

    [LoggerMessage(7, LogLevel.Debug, "Request {RequestId} on '{ListenerName}' acknowledged the drain; {RemainingMs} ms of grace left.", EventName = "DrainAcknowledged")]
    public static partial void DrainAcknowledged(ILogger logger, string requestId, string? listenerName, long? remainingMs);

    [LoggerMessage(8, LogLevel.Debug, "Connection {ConnectionId} on '{ListenerName}' was still open at the drain deadline and was aborted.", EventName = "ConnectionAbortedAtDeadline")]
    public static partial void ConnectionAbortedAtDeadline(ILogger logger, string connectionId, string listenerName);

    [LoggerMessage(9, LogLevel.Information, "Soft drain of '{ListenerName}' sent; deadline {Deadline:O}.", EventName = "DrainNotified")]
    public static partial void DrainNotified(ILogger logger, string listenerName, DateTimeOffset deadline);

    [LoggerMessage(10, LogLevel.Error, "A drain-signal callback of '{ListenerName}' threw.", EventName = "DrainCallbackFailed")]
    public static partial void DrainCallbackFailed(ILogger logger, string? listenerName, Exception exception);

    [LoggerMessage(11, LogLevel.Information, "Host is stopping: draining {Count} listener(s) with a deadline of {Deadline:O} (none if empty).", EventName = "HostShutdownDrain")]
    public static partial void HostShutdownDrain(ILogger logger, int count, DateTimeOffset? deadline);

    [LoggerMessage(12, LogLevel.Debug, "Binding server URL {Url} next to the Roadrunner endpoints.", EventName = "ServerUrlBound")]
    public static partial void ServerUrlBound(ILogger logger, string url);

    [LoggerMessage(13, LogLevel.Warning, "Listener '{ListenerName}' failed to accept {Count} time(s) in the last {WindowSeconds} s; retrying with back-off.", EventName = "AcceptLoopFailed")]
    public static partial void AcceptLoopFailed(ILogger logger, string listenerName, int count, int windowSeconds, Exception exception);

    [LoggerMessage(14, LogLevel.Warning, "Listener '{ListenerName}' cannot accept connections: {SocketError} ({Reason}), {Count} time(s) in the last {WindowSeconds} s. The process has too many open files: raise its limit (ulimit -n, LimitNOFILE) or set Roadrunner:Listeners:{ListenerName}:MaxConnections. Accepting resumes by itself, with back-off.", EventName = "AcceptResourceExhausted")]
    public static partial void AcceptResourceExhausted(ILogger logger, string listenerName, System.Net.Sockets.SocketError socketError, string reason, int count, int windowSeconds);

    [LoggerMessage(15, LogLevel.Information, "Listener '{ListenerName}' accepts connections again after {Failures} failed accept(s).", EventName = "AcceptResumed")]
    public static partial void AcceptResumed(ILogger logger, string listenerName, int failures);

    [LoggerMessage(16, LogLevel.Information, "Drain of '{ListenerName}' now has the earlier deadline {Deadline:O}.", EventName = "DrainDeadlineMoved")]
    public static partial void DrainDeadlineMoved(ILogger logger, string listenerName, DateTimeOffset? deadline);

    [LoggerMessage(17, LogLevel.Warning, "Drain of '{ListenerName}': {Count} aborted connection(s) still had handlers running {GraceMs} ms after the abort; they ignore RequestAborted. The drain result counts them as aborted.", EventName = "ConnectionsLingering")]
    public static partial void ConnectionsLingering(ILogger logger, string listenerName, int count, long graceMs);

    [LoggerMessage(18, LogLevel.Error, "Drain of '{ListenerName}' failed; the listener is stopped and removed.", EventName = "DrainFailed")]
    public static partial void DrainFailed(ILogger logger, string listenerName, Exception exception);

    [LoggerMessage(19, LogLevel.Warning, "Drain of '{ListenerName}' reached its deadline: aborting {Count} connection(s) still open.", EventName = "ConnectionsAbortedAtDeadline")]
    public static partial void ConnectionsAbortedAtDeadline(ILogger logger, string listenerName, int count);

    [LoggerMessage(EventId = 20, Message = "Runtime listeners cannot be served: {Reason}", EventName = "ServerUnusable")]
    public static partial void ServerUnusable(ILogger logger, LogLevel level, string reason);

    [LoggerMessage(21, LogLevel.Information, "The addresses http://roadrunner-http1, http://roadrunner-h2c and https://roadrunner-tls that Kestrel lists are Roadrunner's internal endpoints, not sockets: each listener binds its own address (IListenerManager.GetListeners()).", EventName = "PlaceholdersExplained")]
    public static partial void PlaceholdersExplained(ILogger logger);

    [LoggerMessage(22, LogLevel.Information, "Host is stopping. Readiness is Unhealthy from now; serving normally for the shutdown delay {Delay} (until {DelayEndsAt:O}), then draining {Listeners} listener(s) until {DrainDeadline:O}; the host's ShutdownTimeout ends at {HostDeadline:O} (empty: none).", EventName = "ShutdownTimeline")]
    public static partial void ShutdownTimeline(ILogger logger, TimeSpan delay, DateTimeOffset delayEndsAt, int listeners, DateTimeOffset? drainDeadline, DateTimeOffset? hostDeadline);

    [LoggerMessage(23, LogLevel.Information, "Listener '{ListenerName}' is {Status}.", EventName = "ListenerSuspendedOrResumed")]
    public static partial void ListenerSuspendedOrResumed(ILogger logger, string listenerName, ListenerStatus status);

    [LoggerMessage(24, LogLevel.Warning, "Server URL {Url} names the host '{Host}', which Kestrel does not resolve: it binds every interface (IPv6 and IPv4 any). Use an IP address (e.g. 127.0.0.1) or localhost to bind one.", EventName = "ServerUrlBindsAnyIP")]
    public static partial void ServerUrlBindsAnyIP(ILogger logger, string url, string host);

    [LoggerMessage(25, LogLevel.Information, "Drain of '{ListenerName}' spread its signal over {Requests} running request(s) in a {SpreadMs} ms window; the last was told {LastSignalMs} ms after the drain began.", EventName = "DrainSpreadCompleted")]
    public static partial void DrainSpreadCompleted(ILogger logger, string listenerName, int requests, long spreadMs, long lastSignalMs);

    [LoggerMessage(26, LogLevel.Warning, "This ASP.NET Core version's socket transport has no SocketConnectionFactoryOptions(SocketTransportOptions) constructor, so listener connections use MemoryPool<byte>.Shared instead of Kestrel's pinned-block pools: HTTP/2 and TLS connections allocate their buffers per request. Use the Roadrunner.AspNetCore release built for this ASP.NET Core version.", EventName = "KestrelMemoryPoolUnavailable")]
    public static partial void KestrelMemoryPoolUnavailable(ILogger logger);
    // Listener limits: 30-39.
    [LoggerMessage(30, LogLevel.Warning, "Listener '{ListenerName}' refused {Count} request(s) in the last {WindowSeconds} s because {MaxConcurrentRequests} request(s) were in flight (HTTP/1.1 503 + Retry-After, HTTP/2 REFUSED_STREAM). Raise Roadrunner:Listeners:{ListenerName}:MaxConcurrentRequests or add capacity.", EventName = "RequestsThrottled")]
    public static partial void RequestsThrottled(ILogger logger, string listenerName, int count, int windowSeconds, int maxConcurrentRequests);

    [LoggerMessage(31, LogLevel.Warning, "Listener '{ListenerName}' answered {Count} request(s) 429 in the last {WindowSeconds} s: over the rate limit of {PermitsPerSecond}/s (burst {Burst}) per client IP; the last from {RemoteAddress}. Raise Roadrunner:Listeners:{ListenerName}:RateLimit if these clients are legitimate.", EventName = "RequestsRateLimited")]
    public static partial void RequestsRateLimited(ILogger logger, string listenerName, int count, int windowSeconds, int permitsPerSecond, int burst, string? remoteAddress);

    [LoggerMessage(EventId = 32, Message = "Listener '{ListenerName}' closed {Count} connection(s) in the last {WindowSeconds} s: {Reason}.", EventName = "ConnectionsLimitClosed")]
    public static partial void ConnectionsLimitClosed(ILogger logger, LogLevel level, string listenerName, int count, int windowSeconds, string reason);

    [LoggerMessage(33, LogLevel.Warning, "Listener '{ListenerName}' is at its cap of {MaxConnections} connection(s): answered {Count} new connection(s) 503 in the last {WindowSeconds} s (and closed those past {OverCapLimit} waiting for their 503). Raise Roadrunner:Listeners:{ListenerName}:MaxConnections or add capacity.", EventName = "ConnectionsServiceUnavailable")]
    public static partial void ConnectionsServiceUnavailable(ILogger logger, string listenerName, int maxConnections, int count, int windowSeconds, int overCapLimit);

    [LoggerMessage(34, LogLevel.Information, "Listener '{ListenerName}' serves HTTP/2: its MinRequestBodyDataRate applies to HTTP/1.1 requests only; HTTP/2 requests keep Kestrel's server-wide KestrelServerLimits.MinRequestBodyDataRate (Kestrel allows no per-request rate on HTTP/2).", EventName = "MinDataRateNotOnHttp2")]
    public static partial void MinDataRateNotOnHttp2(ILogger logger, string listenerName);
    [LoggerMessage(40, LogLevel.Information, "Listener '{ListenerName}' updated live: {Changes}.", EventName = "ListenerUpdated")]
    public static partial void ListenerUpdated(ILogger logger, string listenerName, string changes);

    [LoggerMessage(41, LogLevel.Information, "Configuration reload applied: started [{Started}], updated [{Updated}], replaced [{Replaced}], draining [{Removed}].", EventName = "ConfigurationReloaded")]
    public static partial void ConfigurationReloaded(ILogger logger, string started, string updated, string replaced, string removed);

    [LoggerMessage(42, LogLevel.Error, "Configuration reload: {Key} was not applied: {Reason} Listener '{ListenerName}' keeps running as before and the other listeners are not affected; fix the value and save the configuration again.", EventName = "ConfigurationReloadFailed")]
    public static partial void ConfigurationReloadFailed(ILogger logger, string key, string? listenerName, string reason);

    [LoggerMessage(43, LogLevel.Information, "Listener '{ListenerName}' replaced by a configuration reload ({Reason}): the new listener serves {Url}; the old one on {OldEndPoint} drains with a deadline of {DrainTimeout}.", EventName = "ListenerReplaced")]
    public static partial void ListenerReplaced(ILogger logger, string listenerName, string reason, string url, string oldEndPoint, TimeSpan drainTimeout);

    [LoggerMessage(44, LogLevel.Error, "Configuration reload failed unexpectedly; listeners keep what the previous reloads applied, and the next change of the configuration is tried again.", EventName = "ConfigurationReloadCrashed")]
    public static partial void ConfigurationReloadCrashed(ILogger logger, Exception exception);
    [LoggerMessage(45, LogLevel.Warning, "Listener '{ListenerName}' closed {Count} connection(s) in the last {WindowSeconds} s without a valid PROXY protocol header ({Mode}); the latest: {Reason} from {Peer}. Check that the proxy sends the header (HAProxy send-proxy / send-proxy-v2, AWS NLB proxy protocol v2) and that its address is in Roadrunner:Listeners:{ListenerName}:TrustedProxies.", EventName = "ProxyProtocolRejected")]
    public static partial void ProxyProtocolRejected(ILogger logger, string listenerName, int count, int windowSeconds, string reason, string peer, ProxyProtocolMode mode);

    [LoggerMessage(46, LogLevel.Information, "Listener '{ListenerName}' replaced the stale socket file {Path}: nothing accepted connections on it (left by a process that did not stop cleanly).", EventName = "UnixSocketStaleReplaced")]
    public static partial void UnixSocketStaleReplaced(ILogger logger, string listenerName, string path);

    // Certificates and client certificates: ids 55–64.
    [LoggerMessage(55, LogLevel.Information, "Listener '{ListenerName}' now presents the certificate '{Subject}' (thumbprint {Thumbprint}, valid until {NotAfter:O}) for {Host}, instead of thumbprint {OldThumbprint}; open connections keep theirs.", EventName = "CertificateReloaded")]
    public static partial void CertificateReloaded(ILogger logger, string listenerName, string host, string subject, string thumbprint, DateTimeOffset notAfter, string oldThumbprint);

    [LoggerMessage(56, LogLevel.Error, "Listener '{ListenerName}' could not reload the certificate for {Host} from '{Path}' and keeps presenting thumbprint {KeptThumbprint}: {Reason}", EventName = "CertificateReloadFailed")]
    public static partial void CertificateReloadFailed(ILogger logger, string listenerName, string host, string? path, string reason, string keptThumbprint);

    [LoggerMessage(57, LogLevel.Warning, "Listener '{ListenerName}' cannot watch '{Directory}' for certificate changes ({Reason}); the files are compared every {PollSeconds} s instead (0: never; set Roadrunner:Listeners:{ListenerName}:CertificatePollInterval, or raise fs.inotify.max_user_instances).", EventName = "CertificateWatchFailed")]
    public static partial void CertificateWatchFailed(ILogger logger, string listenerName, string directory, string reason, long pollSeconds);

    [LoggerMessage(58, LogLevel.Warning, "Listener '{ListenerName}' refused {Count} client certificate(s) in the last {WindowSeconds} s, the handshake failing; the last one: {Reason}, '{Subject}' (thumbprint {Thumbprint}). Check Roadrunner:Listeners:{ListenerName}:ClientCertificateAuthorityPaths / ClientCertificateThumbprints, or the client's certificate.", EventName = "ClientCertificatesRejected")]
    public static partial void ClientCertificatesRejected(ILogger logger, string listenerName, int count, int windowSeconds, string reason, string subject, string thumbprint);
}
