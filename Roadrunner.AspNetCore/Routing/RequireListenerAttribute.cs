namespace Roadrunner.AspNetCore;

/// <summary>
/// Makes a controller or action match only on the named Roadrunner listener(s); elsewhere it 404s.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method, AllowMultiple = false, Inherited = true)]
public sealed class RequireListenerAttribute : Attribute, IListenerMetadata
{
    /// <summary>Creates the attribute.</summary>
    /// <param name="listenerNames">One or more listener names.</param>
    public RequireListenerAttribute(params string[] listenerNames)
    {
        ArgumentNullException.ThrowIfNull(listenerNames);
        if (listenerNames.Length == 0 || listenerNames.Any(string.IsNullOrWhiteSpace))
        {
            throw new ArgumentException("At least one non-empty listener name is required.", nameof(listenerNames));
        }

        ListenerNames = listenerNames;
    }

    /// <inheritdoc />
    public IReadOnlyList<string> ListenerNames { get; }
}
