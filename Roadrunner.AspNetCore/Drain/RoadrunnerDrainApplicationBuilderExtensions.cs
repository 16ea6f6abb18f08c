using Roadrunner.AspNetCore.Drain;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Adds the drain middleware.</summary>
public static class RoadrunnerDrainApplicationBuilderExtensions
{
    /// <summary>
    /// Places the drain signal (<see cref="Roadrunner.AspNetCore.IRoadrunnerDrainFeature"/>: token, deadline) on every
    /// request and WebSocket: the signal of the request's listener, or on ordinary Kestrel endpoints the
    /// host-shutdown signal. Put it early, before endpoints that run long.
    /// </summary>
    /// <param name="app">The application builder.</param>
    /// <returns>The application builder.</returns>
    public static IApplicationBuilder UseRoadrunnerDrain(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app.UseMiddleware<RoadrunnerDrainMiddleware>();
    }
}
