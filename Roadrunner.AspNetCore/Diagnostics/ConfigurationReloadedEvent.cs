namespace Roadrunner.AspNetCore;

/// <summary>Payload of <see cref="RoadrunnerEvents.ConfigurationReloaded"/>: what one configuration reload changed.</summary>
/// <remarks>JSON: <c>{"started","updated","replaced","removed"}</c>, each a list of listener names.</remarks>
/// <param name="Started">Listeners added to the configuration and started.</param>
/// <param name="Updated">Listeners whose limits changed live (nothing dropped or restarted).</param>
/// <param name="Replaced">Listeners whose address, port, protocols or TLS changed: a new listener took the name and the old one drains.</param>
/// <param name="Removed">Listeners removed from the configuration: they drain with <see cref="RoadrunnerOptions.ReloadDrainTimeout"/>.</param>
public sealed record ConfigurationReloadedEvent(
    IReadOnlyList<string> Started,
    IReadOnlyList<string> Updated,
    IReadOnlyList<string> Replaced,
    IReadOnlyList<string> Removed);
