using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Roadrunner.AspNetCore.Listeners;

namespace Roadrunner.AspNetCore.Hosting;

/// <summary>Counts requests per listener at the very start of the pipeline (no allocation, one interlocked add).</summary>
internal sealed class RoadrunnerStartupFilter : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use(static (context, nextMiddleware) =>
        {
            if (context.Features.Get<IRoadrunnerListenerFeature>() is RuntimeListener listener)
            {
                listener.RecordRequest();
            }

            return nextMiddleware(context);
        });
        next(app);
    };
}
