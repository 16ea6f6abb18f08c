using Microsoft.AspNetCore.Http;
using Roadrunner.AspNetCore.Listeners;

namespace Roadrunner.AspNetCore.Drain;

/// <summary>
/// Makes sure the request carries a drain signal: the host's on ordinary Kestrel endpoints, and on listeners the
/// one Roadrunner's first middleware took at request start (or, where startup filters do not run, the listener's
/// current one). The signal objects are shared, so this allocates nothing per request.
/// </summary>
internal sealed class RoadrunnerDrainMiddleware(RequestDelegate next, ListenerManager manager)
{
    public Task InvokeAsync(HttpContext context)
    {
        if (context.Features.Get<IRoadrunnerDrainFeature>() is null)
        {
            IRoadrunnerDrainFeature signal = context.Features.Get<IRoadrunnerListenerFeature>() is RuntimeListener listener
                ? listener.SignalForNewRequest()
                : manager.HostSignal;
            context.Features.Set(signal);
        }

        return next(context);
    }
}
