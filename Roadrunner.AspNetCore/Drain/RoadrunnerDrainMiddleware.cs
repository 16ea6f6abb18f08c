using Microsoft.AspNetCore.Http;
using Roadrunner.AspNetCore.Listeners;

namespace Roadrunner.AspNetCore.Drain;

/// <summary>
/// Places the drain signal of the request's listener generation (or the host's, on ordinary Kestrel
/// endpoints) on the request. The signal object is shared, so this allocates nothing per request.
/// </summary>
internal sealed class RoadrunnerDrainMiddleware(RequestDelegate next, ListenerManager manager)
{
    public Task InvokeAsync(HttpContext context)
    {
        IRoadrunnerDrainFeature signal = context.Features.Get<IRoadrunnerListenerFeature>() is RuntimeListener listener
            ? listener.CurrentSignal
            : manager.HostSignal;
        context.Features.Set(signal);
        return next(context);
    }
}
