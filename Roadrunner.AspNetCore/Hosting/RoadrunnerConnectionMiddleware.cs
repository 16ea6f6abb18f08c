using Microsoft.AspNetCore.Connections;
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
            listener.OnConnectionStarted(connection);
        }

        return next(connection);
    };
}
