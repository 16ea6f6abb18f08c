namespace Roadrunner.AspNetCore.Listeners;

/// <summary>Who started a listener: a configuration reload changes and removes only the listeners configuration started.</summary>
internal enum ListenerOrigin
{
    /// <summary>Started by <see cref="IListenerManager.StartAsync"/>: a reload never touches it.</summary>
    Code,

    /// <summary>Started from <c>Roadrunner:Listeners</c>, at start-up or by a reload.</summary>
    Configuration,
}
