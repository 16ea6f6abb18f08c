namespace Roadrunner.AspNetCore;

/// <summary>
/// <see cref="IListenerManager.UpdateAsync"/> was asked to change an option a running listener cannot change: its address,
/// port, protocols, TLS or certificate. The listener is left as it was.
/// </summary>
public sealed class ListenerUpdateException : InvalidOperationException
{
    /// <summary>Creates the exception for listener <paramref name="listenerName"/> and option <paramref name="key"/>.</summary>
    /// <param name="listenerName">The listener.</param>
    /// <param name="key">The option that cannot change live, e.g. <c>Port</c>.</param>
    public ListenerUpdateException(string listenerName, string key)
        : base(
            $"Roadrunner:Listeners:{listenerName}:{key} cannot change on a running listener: it needs a new socket or TLS setup. " +
            $"Stop the listener and start it with the new options, or change it in configuration (Roadrunner:Listeners), " +
            "where a reload starts the new listener and then drains the old one. The listener was left unchanged.")
    {
        ListenerName = listenerName;
        Key = key;
    }

    /// <summary>The listener that was left unchanged.</summary>
    public string ListenerName { get; }

    /// <summary>The option that cannot change live: <c>Address</c>, <c>Port</c>, <c>Protocols</c>, <c>UseTls</c> or a <c>Certificate…</c> option.</summary>
    public string Key { get; }
}
