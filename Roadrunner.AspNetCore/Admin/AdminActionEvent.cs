namespace Roadrunner.AspNetCore;

/// <summary>Payload of <see cref="RoadrunnerEvents.AdminAction"/>: one mutating call of the admin API, for the audit trail.</summary>
/// <remarks>JSON: <c>{"action","listenerName","principal","clientAddress","method","path","statusCode"}</c>.</remarks>
/// <param name="Action">What was asked: <c>create</c>, <c>delete</c>, <c>drain</c>, <c>notify-drain</c>, <c>suspend</c>, <c>resume</c>.</param>
/// <param name="ListenerName">The listener named in the route or the body; <see langword="null"/> when the body could not be read.</param>
/// <param name="Principal">
/// Who: the authenticated user's name, <c>api-key:</c> and the first 8 hex digits of the key's SHA-256 (a key id, not the key),
/// or <c>anonymous</c> (loopback access without authorization).
/// </param>
/// <param name="ClientAddress">The client's address and port, e.g. <c>127.0.0.1:50312</c>; <see langword="null"/> without an IP peer.</param>
/// <param name="Method">The HTTP method.</param>
/// <param name="Path">The request path.</param>
/// <param name="StatusCode">The answer's status code, also for refused (401, 403) and invalid (400) calls.</param>
public sealed record AdminActionEvent(
    string Action,
    string? ListenerName,
    string Principal,
    string? ClientAddress,
    string Method,
    string Path,
    int StatusCode);
