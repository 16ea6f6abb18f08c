namespace Roadrunner.AspNetCore;

/// <summary>
/// Names of the in-process events and the meter. Events are written to a
/// <see cref="System.Diagnostics.DiagnosticListener"/> named <see cref="DiagnosticListenerName"/>; each
/// payload is a typed record (see the README's event table).
/// </summary>
public static class RoadrunnerEvents
{
    /// <summary>The name of the <see cref="System.Diagnostics.DiagnosticListener"/> and of the <see cref="System.Diagnostics.Metrics.Meter"/>.</summary>
    public const string DiagnosticListenerName = "Roadrunner.AspNetCore";

    /// <summary>The meter name; instruments are named <c>roadrunner.*</c>.</summary>
    public const string MeterName = "Roadrunner.AspNetCore";

    /// <summary>A listener started accepting. Payload: <see cref="ListenerStartedEvent"/>.</summary>
    public const string ListenerStarted = "Roadrunner.ListenerStarted";

    /// <summary>A listener was stopped or finished draining. Payload: <see cref="ListenerStoppedEvent"/>.</summary>
    public const string ListenerStopped = "Roadrunner.ListenerStopped";

    /// <summary>A connection was closed at once because the listener was at its cap. Payload: <see cref="ConnectionRejectedEvent"/>.</summary>
    public const string ConnectionRejected = "Roadrunner.ConnectionRejected";

    /// <summary>A drain began. Payload: <see cref="DrainStartedEvent"/>.</summary>
    public const string DrainStarted = "Roadrunner.DrainStarted";

    /// <summary>A drain ended. Payload: <see cref="DrainResult"/>.</summary>
    public const string DrainCompleted = "Roadrunner.DrainCompleted";

    /// <summary>A soft drain was sent. Payload: <see cref="DrainStartedEvent"/>.</summary>
    public const string DrainNotified = "Roadrunner.DrainNotified";

    /// <summary>A handler acknowledged the drain signal. Payload: <see cref="DrainAcknowledgedEvent"/>.</summary>
    public const string DrainAcknowledged = "Roadrunner.DrainAcknowledged";

    /// <summary>A connection still open at a drain's deadline was aborted. Payload: <see cref="ConnectionAbortedEvent"/>.</summary>
    public const string ConnectionAborted = "Roadrunner.ConnectionAborted";

    /// <summary>A configuration reload started, changed, replaced or removed listeners. Payload: <see cref="ConfigurationReloadedEvent"/>.</summary>
    public const string ConfigurationReloaded = "Roadrunner.ConfigurationReloaded";

    /// <summary>A configuration reload could not apply a change; the listener keeps running as before. Payload: <see cref="ConfigurationReloadFailedEvent"/>.</summary>
    public const string ConfigurationReloadFailed = "Roadrunner.ConfigurationReloadFailed";

    /// <summary>A request was refused by a listener limit (concurrency, rate, per-connection, connection cap). Payload: <see cref="RequestLimitedEvent"/>.</summary>
    public const string RequestLimited = "Roadrunner.RequestLimited";

    /// <summary>A connection was closed by a listener limit (timeouts, requests per connection). Payload: <see cref="ConnectionLimitClosedEvent"/>.</summary>
    public const string ConnectionLimitClosed = "Roadrunner.ConnectionLimitClosed";
}
