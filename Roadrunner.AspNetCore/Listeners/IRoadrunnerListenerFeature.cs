namespace Roadrunner.AspNetCore;

/// <summary>
/// Names the Roadrunner listener a connection arrived on. Set on the transport connection, so it is
/// readable from <c>ConnectionContext.Features</c> and from <c>HttpContext.Features</c>; absent on
/// ordinary Kestrel endpoints.
/// </summary>
public interface IRoadrunnerListenerFeature
{
    /// <summary>The listener's name.</summary>
    string ListenerName { get; }
}
