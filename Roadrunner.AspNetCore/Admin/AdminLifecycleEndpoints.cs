using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Roadrunner.AspNetCore.Admin;

/// <summary>
/// The admin routes that move a listener through its lifecycle: <c>drain</c>, <c>notify-drain</c>, <c>suspend</c> and
/// <c>resume</c>. Separate from the listener and change routes: they change what a listener does, not what it is.
/// </summary>
internal static class AdminLifecycleEndpoints
{
    public static void Map(RouteGroupBuilder group, AdminAccess access)
    {
        var drain = group.MapPost("/listeners/{name}/drain", access.Wrap("drain", Drain)).Described(named: true)
            .WithName("Roadrunner.DrainListener")
            .WithSummary("Drains a listener")
            .WithDescription("Stops accepting, signals every request, waits for the connections to close until the deadline, aborts what is left and removes the listener; answers 200 with the result when it ends. Draining the listener that carries this request answers 202 at once.");
        AdminOpenApiMetadata.Accepts<DrainRequest>(drain, optional: true);
        AdminOpenApiMetadata.Produces<DrainResponse>(drain, StatusCodes.Status200OK);
        AdminOpenApiMetadata.Produces<DrainScheduledResponse>(drain, StatusCodes.Status202Accepted);
        AdminOpenApiMetadata.Problems(drain, StatusCodes.Status404NotFound);
        AdminOpenApiMetadata.BodyProblems(drain);

        var notify = group.MapPost("/listeners/{name}/notify-drain", access.Wrap("notify-drain", NotifyDrain)).Described(named: true)
            .WithName("Roadrunner.NotifyDrain")
            .WithSummary("Soft-drains a listener")
            .WithDescription("Sends the drain signal with a deadline to the requests in flight; the listener keeps accepting and nothing is waited on.");
        AdminOpenApiMetadata.Accepts<NotifyDrainRequest>(notify, optional: true);
        AdminOpenApiMetadata.Produces<DrainScheduledResponse>(notify, StatusCodes.Status202Accepted);
        AdminOpenApiMetadata.Problems(notify, StatusCodes.Status404NotFound);
        AdminOpenApiMetadata.BodyProblems(notify);

        var suspend = group.MapPost("/listeners/{name}/suspend", access.Wrap("suspend", context => Suspend(context, resume: false))).Described(named: true)
            .WithName("Roadrunner.SuspendListener")
            .WithSummary("Suspends a listener")
            .WithDescription("Stops accepting but keeps the socket bound: connects wait in the backlog, open connections keep serving.");
        AdminOpenApiMetadata.Produces<ListenerInfo>(suspend, StatusCodes.Status200OK);
        AdminOpenApiMetadata.Problems(suspend, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);

        var resume = group.MapPost("/listeners/{name}/resume", access.Wrap("resume", context => Suspend(context, resume: true))).Described(named: true)
            .WithName("Roadrunner.ResumeListener")
            .WithSummary("Resumes a suspended listener")
            .WithDescription("Starts accepting again; the connects queued in the backlog meanwhile are served.");
        AdminOpenApiMetadata.Produces<ListenerInfo>(resume, StatusCodes.Status200OK);
        AdminOpenApiMetadata.Problems(resume, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);
    }

    private static async Task<IResult> Drain(HttpContext context)
    {
        var name = AdminNameParameter.Of(context);
        var (request, problem) = await AdminBody.ReadAsync<DrainRequest>(context, optional: true).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        var timeoutMs = request?.TimeoutMs ?? AdminListenerMapping.DefaultDrainMs;
        if (AdminListenerMapping.CheckMilliseconds("timeoutMs", timeoutMs) is { } outOfRange)
        {
            return outOfRange;
        }

        var listeners = context.RequestServices.GetRequiredService<IListenerManager>();
        if (listeners.GetListener(name) is null)
        {
            return AdminProblems.NotFound(name);
        }

        var timeout = TimeSpan.FromMilliseconds(timeoutMs);
        if (string.Equals(context.GetListenerName(), name, StringComparison.OrdinalIgnoreCase))
        {
            // This request's own connection is one of those drained: waiting for the end would wait for itself.
            var deadline = context.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow() + timeout;
            _ = listeners.DrainAsync(name, timeout, CancellationToken.None);
            return TypedResults.Json(new DrainScheduledResponse(name, deadline), AdminJsonContext.Info<DrainScheduledResponse>(), statusCode: StatusCodes.Status202Accepted);
        }

        DrainResult? result;
        try
        {
            result = await listeners.DrainAsync(name, timeout, context.RequestAborted).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            return TypedResults.Empty; // The caller left; the drain runs on to its deadline.
        }

        return result is null
            ? AdminProblems.NotFound(name)
            : TypedResults.Json(DrainResponse.From(result), AdminJsonContext.Info<DrainResponse>());
    }

    private static async Task<IResult> NotifyDrain(HttpContext context)
    {
        var name = AdminNameParameter.Of(context);
        var (request, problem) = await AdminBody.ReadAsync<NotifyDrainRequest>(context, optional: true).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        var deadlineMs = request?.DeadlineMs ?? AdminListenerMapping.DefaultDrainMs;
        if (AdminListenerMapping.CheckMilliseconds("deadlineMs", deadlineMs) is { } outOfRange)
        {
            return outOfRange;
        }

        var listeners = context.RequestServices.GetRequiredService<IListenerManager>();
        var deadline = context.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow().AddMilliseconds(deadlineMs);
        return await listeners.NotifyDrainAsync(name, deadline, context.RequestAborted).ConfigureAwait(false)
            ? TypedResults.Json(new DrainScheduledResponse(name, deadline), AdminJsonContext.Info<DrainScheduledResponse>(), statusCode: StatusCodes.Status202Accepted)
            : AdminProblems.NotFound(name);
    }

    private static async Task<IResult> Suspend(HttpContext context, bool resume)
    {
        var name = AdminNameParameter.Of(context);
        var listeners = context.RequestServices.GetRequiredService<IListenerManager>();
        ListenerInfo? info;
        try
        {
            info = resume
                ? await listeners.ResumeAsync(name, context.RequestAborted).ConfigureAwait(false)
                : await listeners.SuspendAsync(name, context.RequestAborted).ConfigureAwait(false);
        }
        catch (InvalidOperationException ex)
        {
            return AdminProblems.Create(StatusCodes.Status409Conflict, ex.Message);
        }

        if (info is null && listeners.GetListener(name) is { } draining)
        {
            // The manager no longer changes a listener that drains (or stopped and still closes its connections).
            return AdminProblems.Create(StatusCodes.Status409Conflict, $"Listener '{AdminProblems.Printable(name)}' is {draining.Status.ToString().ToLowerInvariant()}: only an accepting listener can be suspended, and only a suspended one resumed.");
        }

        return info is null ? AdminProblems.NotFound(name) : AdminResults.Ok(info);
    }
}
