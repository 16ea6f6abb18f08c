using Microsoft.AspNetCore.Connections;
using Roadrunner.AspNetCore.Listeners;

namespace Roadrunner.AspNetCore.Hosting;

/// <summary>
/// Connection middleware on the placeholder endpoints: the exact span during which Kestrel owns a
/// connection. Its end is the event that completes a drain.
/// </summary>
internal static class RoadrunnerConnectionMiddleware
{
    public static ConnectionDelegate Create(ConnectionDelegate next) => connection =>
    {
        if (connection.Features.Get<IRoadrunnerListenerFeature>() is not RuntimeListener listener)
        {
            return next(connection);
        }

        listener.OnConnectionStarted(connection);
        return RunAsync(next, connection, listener);
    };

    private static async Task RunAsync(ConnectionDelegate next, ConnectionContext connection, RuntimeListener listener)
    {
        try
        {
            await next(connection).ConfigureAwait(false);
        }
        finally
        {
            listener.OnConnectionClosed(connection);
        }
    }
}
