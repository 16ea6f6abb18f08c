using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Roadrunner.AspNetCore.Diagnostics;
using Roadrunner.AspNetCore.Listeners;

namespace Roadrunner.AspNetCore.Hosting;

/// <summary>
/// Connection middleware on the placeholder endpoints: the moment Kestrel picks up a listener's connection.
/// (Its end is observed by <see cref="TrackedConnection"/>, once the socket is closed too.)
/// </summary>
internal static class RoadrunnerConnectionMiddleware
{
    public static ConnectionDelegate Create(ConnectionDelegate next) => connection =>
    {
        if (connection.Features.Get<IRoadrunnerListenerFeature>() is RuntimeListener listener)
        {
            // Kestrel's own connection metrics (kestrel.connection.duration, ...) carry only the placeholder
            // endpoint; the listener name tells them apart. Kestrel offers the feature only while someone listens.
            connection.Features.Get<IConnectionMetricsTagsFeature>()?.Tags.Add(new(RoadrunnerMetrics.ListenerNameTag, listener.Name));
            listener.OnConnectionStarted(connection);
            connection.Features.Get<Limits.ConnectionLimits>()?.Attach(connection);
        }

        return next(connection);
    };
}
