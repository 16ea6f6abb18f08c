namespace Roadrunner.AspNetCore;

/// <summary>
/// Thrown by <see cref="IListenerManager.StartAsync"/> when a listener with the same name is already
/// registered (accepting, draining or starting). Nothing is bound and the existing listener is untouched.
/// </summary>
public sealed class DuplicateListenerException : InvalidOperationException
{
    /// <summary>Creates the exception for <paramref name="listenerName"/>.</summary>
    public DuplicateListenerException(string listenerName)
        : base($"A listener named '{listenerName}' already exists. Stop or drain it first, or choose another name.")
    {
        ListenerName = listenerName;
    }

    /// <summary>The name that is already in use.</summary>
    public string ListenerName { get; }
}
