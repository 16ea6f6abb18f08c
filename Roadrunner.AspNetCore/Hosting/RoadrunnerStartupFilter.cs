using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Roadrunner.AspNetCore.Listeners;

namespace Roadrunner.AspNetCore.Hosting;

/// <summary>
/// First middleware of the pipeline, for requests on Roadrunner listeners: refuses HTTP/2 streams that start while
/// their listener drains, counts the request (one interlocked add) and gives it the listener's current drain signal.
/// Taking the signal here, where the request is counted, means a soft drain reaches every request the listener has
/// received, however far it has got through the pipeline. Allocates nothing per request.
/// </summary>
internal sealed class RoadrunnerStartupFilter(ListenerManager manager) : IStartupFilter
{
    // RFC 9113 §8.7: REFUSED_STREAM tells the client the stream was not processed and is safe to retry.
    private const int RefusedStream = 0x7;

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use((context, nextMiddleware) =>
        {
            // During host shutdown (its delay included), HTTP/1.1 keep-alive connections are moved off gently: the
            // response closes the connection, and the client's next request opens a new one, to wherever the load
            // balancer now routes. HTTP/2 connections get their GOAWAY when the drain starts.
            if (manager.IsShuttingDown && HttpProtocol.IsHttp11(context.Request.Protocol))
            {
                context.Response.Headers.Connection = "close";
            }

            if (context.Features.Get<IRoadrunnerListenerFeature>() is RuntimeListener listener)
            {
                // Kestrel's first GOAWAY (last-stream-id 2^31-1) still admits streams the client sends after it;
                // a draining listener must not start new work.
                if (listener.Status == ListenerStatus.Draining
                    && HttpProtocol.IsHttp2(context.Request.Protocol)
                    && context.Features.Get<IHttpResetFeature>() is { } reset)
                {
                    reset.Reset(RefusedStream);
                    return Task.CompletedTask;
                }

                listener.RecordRequest();
                context.Features.Set<IRoadrunnerDrainFeature>(listener.SignalForNewRequest());

                // The listener's limits (Limits/ListenerLimits); a listener without any costs one check of its options.
                return listener.Limits.InvokeAsync(context, nextMiddleware);
            }

            return nextMiddleware(context);
        });
        next(app);
    };
}
