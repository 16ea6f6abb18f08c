namespace Roadrunner.AspNetCore.Listeners;

/// <summary>Where host shutdown is.</summary>
internal enum ShutdownPhase
{
    /// <summary>Not shutting down.</summary>
    Running,

    /// <summary>The shutdown delay: readiness is Unhealthy, everything still serves, HTTP/1.1 responses close their connection.</summary>
    Delaying,

    /// <summary>Listeners and ordinary endpoints are draining.</summary>
    Draining,
}
