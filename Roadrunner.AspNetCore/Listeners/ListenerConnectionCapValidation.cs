namespace Roadrunner.AspNetCore.Listeners;

/// <summary>
/// The checks of the connection cap: <c>MaxConnections</c> and what happens past it (<c>MaxConnectionsBehavior</c>).
/// Called by <see cref="ListenerOptionsValidator"/>; the other per-listener limits are <see cref="Limits.ListenerLimitsValidation"/>.
/// </summary>
internal static class ListenerConnectionCapValidation
{
    public static void Validate(string prefix, ListenerOptions options, List<string> failures)
    {
        if (options.MaxConnections is < 1)
        {
            failures.Add($"{prefix}MaxConnections: must be at least 1, or null for no limit (got {options.MaxConnections}).");
        }

        if (!Enum.IsDefined(options.MaxConnectionsBehavior))
        {
            failures.Add($"{prefix}MaxConnectionsBehavior: '{options.MaxConnectionsBehavior}' is not one of Close, Backlog, ServiceUnavailable.");
        }
        else if (options.MaxConnectionsBehavior == MaxConnectionsBehavior.Backlog && options.MaxConnections is null)
        {
            failures.Add($"{prefix}MaxConnectionsBehavior: Backlog needs MaxConnections (the cap at which the listener stops accepting).");
        }
        else if (options.MaxConnectionsBehavior == MaxConnectionsBehavior.ServiceUnavailable && options.MaxConnections is null)
        {
            failures.Add($"{prefix}MaxConnectionsBehavior: ServiceUnavailable needs MaxConnections (the cap past which connections are answered 503).");
        }
    }
}
