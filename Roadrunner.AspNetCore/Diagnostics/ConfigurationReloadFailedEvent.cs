namespace Roadrunner.AspNetCore;

/// <summary>Payload of <see cref="RoadrunnerEvents.ConfigurationReloadFailed"/>: one change a configuration reload could not apply.</summary>
/// <remarks>JSON: <c>{"listenerName","key","message"}</c>.</remarks>
/// <param name="ListenerName">The listener whose change was not applied; <see langword="null"/> when the whole section could not be read.</param>
/// <param name="Key">The configuration key at fault, e.g. <c>Roadrunner:Listeners:t1:Port</c>.</param>
/// <param name="Message">What was wrong and how to fix it.</param>
public sealed record ConfigurationReloadFailedEvent(string? ListenerName, string Key, string Message);
