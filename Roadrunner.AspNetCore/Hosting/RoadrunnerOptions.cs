namespace Roadrunner.AspNetCore;

/// <summary>
/// Library-wide options, bound from the <c>Roadrunner</c> configuration section.
/// </summary>
public sealed class RoadrunnerOptions
{
    /// <summary>
    /// Listeners started with the application, keyed by name (configuration <c>Roadrunner:Listeners:{name}</c>).
    /// Names are case-insensitive.
    /// </summary>
    public IDictionary<string, ListenerOptions> Listeners { get; } = new Dictionary<string, ListenerOptions>(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// How much of <c>HostOptions.ShutdownTimeout</c> is kept back when the host stops: listeners drain with a
    /// deadline of <c>ShutdownTimeout - ShutdownDrainMargin</c>, leaving Kestrel and other services the margin to
    /// finish. Defaults to 2 seconds; the drain timeout is never below zero.
    /// </summary>
    public TimeSpan ShutdownDrainMargin { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How long the app keeps serving normally after host shutdown begins, with readiness already Unhealthy, before
    /// any listener drains: the time a load balancer or a Kubernetes Service needs to stop routing here (readiness
    /// probe period × failure threshold, or endpoint-removal propagation). During the delay HTTP/1.1 responses carry
    /// <c>Connection: close</c>, so pooled keep-alive connections move to other instances before the drain. The drain
    /// deadline becomes <c>ShutdownTimeout − ShutdownDelay − ShutdownDrainMargin</c>. Defaults to zero.
    /// </summary>
    public TimeSpan ShutdownDelay { get; set; }

    /// <summary>The default <see cref="ListenerOptions.DrainSpread"/> of every listener. Defaults to zero (everyone at once).</summary>
    public TimeSpan DrainSpread { get; set; }

    /// <summary>
    /// Bind the addresses of the <c>urls</c>, <c>http_ports</c> and <c>https_ports</c> settings
    /// (<c>--urls</c>, <c>ASPNETCORE_URLS</c>, ...) as ordinary Kestrel endpoints. Kestrel ignores those
    /// settings as soon as any endpoint is declared in code, which Roadrunner's placeholder endpoints are, so
    /// the library binds them itself. Defaults to <see langword="true"/>.
    /// </summary>
    public bool BindServerUrls { get; set; } = true;

    /// <summary>
    /// The drain deadline of a listener that a configuration reload removes, or replaces because its address, port,
    /// protocols or TLS changed (configuration key <c>Roadrunner:ReloadDrainTimeout</c>). Defaults to 30 seconds;
    /// <see cref="TimeSpan.Zero"/> aborts the old listener's connections at once.
    /// </summary>
    public TimeSpan ReloadDrainTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
