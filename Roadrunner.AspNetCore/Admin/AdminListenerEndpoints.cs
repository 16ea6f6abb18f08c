using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Roadrunner.AspNetCore.Admin;

/// <summary>
/// The admin routes that list, read, start and stop listeners (<c>GET/POST listeners</c>, <c>GET/DELETE listeners/{name}</c>).
/// Separate from the lifecycle and change routes: these create and forget names, the others act on a listener that exists.
/// </summary>
internal static class AdminListenerEndpoints
{
    public static void Map(RouteGroupBuilder group, string prefix, AdminAccess access)
    {
        var listeners = group.MapGet("/listeners", access.Wrap(null, List)).Described(named: false)
            .WithName("Roadrunner.ListListeners")
            .WithSummary("Lists the listeners")
            .WithDescription("Every registered listener (accepting, suspended or draining), most recently started first.");
        AdminOpenApiMetadata.Produces<IReadOnlyList<ListenerInfo>>(listeners, StatusCodes.Status200OK);

        var get = group.MapGet("/listeners/{name}", access.Wrap(null, Get)).Described(named: true)
            .WithName("Roadrunner.GetListener")
            .WithSummary("Gets one listener")
            .WithDescription("The listener's address, protocols, status and counters.");
        AdminOpenApiMetadata.Produces<ListenerInfo>(get, StatusCodes.Status200OK);
        AdminOpenApiMetadata.Problems(get, StatusCodes.Status404NotFound);

        var create = group.MapPost("/listeners", access.Wrap("create", context => Create(context, prefix))).Described(named: false)
            .WithName("Roadrunner.CreateListener")
            .WithSummary("Starts a listener")
            .WithDescription("Binds a new listener and starts accepting on it; answers once it accepts. The Location header names the new listener.");
        AdminOpenApiMetadata.Accepts<CreateListenerRequest>(create, optional: false);
        AdminOpenApiMetadata.Produces<ListenerInfo>(create, StatusCodes.Status201Created);
        AdminOpenApiMetadata.Problems(create, StatusCodes.Status409Conflict);
        AdminOpenApiMetadata.BodyProblems(create);

        var delete = group.MapDelete("/listeners/{name}", access.Wrap("delete", Delete)).Described(named: true)
            .WithName("Roadrunner.DeleteListener")
            .WithSummary("Stops a listener at once")
            .WithDescription("Closes the listen socket and forgets the name; open connections are not waited on (use drain for that).");
        delete.WithMetadata(new ProducesResponseTypeMetadata(StatusCodes.Status204NoContent, typeof(void)));
        AdminOpenApiMetadata.Problems(delete, StatusCodes.Status404NotFound);
    }

    private static Task<IResult> List(HttpContext context)
    {
        var listeners = context.RequestServices.GetRequiredService<IListenerManager>();
        return Task.FromResult<IResult>(TypedResults.Json(listeners.GetListeners(), AdminJsonContext.Info<IReadOnlyList<ListenerInfo>>()));
    }

    private static Task<IResult> Get(HttpContext context)
    {
        var name = AdminNameParameter.Of(context);
        var listeners = context.RequestServices.GetRequiredService<IListenerManager>();
        return Task.FromResult(listeners.GetListener(name) is { } info ? AdminResults.Ok(info) : AdminProblems.NotFound(name));
    }

    private static async Task<IResult> Create(HttpContext context, string prefix)
    {
        var (request, problem) = await AdminBody.ReadAsync<CreateListenerRequest>(context, optional: false).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        if (!AdminListenerMapping.TryMap(request!, out var name, out var options, out problem))
        {
            return problem!;
        }

        context.Items[AdminAccess.ListenerItemKey] = name;
        var listeners = context.RequestServices.GetRequiredService<IListenerManager>();
        ListenerInfo info;
        try
        {
            info = await listeners.StartAsync(name, options, context.RequestAborted).ConfigureAwait(false);
        }
        catch (DuplicateListenerException ex)
        {
            return AdminProblems.Create(StatusCodes.Status409Conflict, $"name: {ex.Message}");
        }
        catch (ListenerBindException ex) when (ex.AddressInUse)
        {
            return AdminProblems.Create(StatusCodes.Status409Conflict, $"port: {ex.Message}");
        }
        catch (ListenerBindException ex)
        {
            // Not local, not permitted, ...: the request asked for something this machine cannot give.
            var field = ex.InnerException is SocketException { SocketErrorCode: SocketError.AccessDenied } ? "port" : "address";
            return AdminProblems.Field(field, ex.Message);
        }
        catch (OptionsValidationException ex)
        {
            return AdminProblems.FromOptionsValidation(ex);
        }
        catch (ArgumentException ex)
        {
            return AdminProblems.Field("name", ex.Message);
        }

        context.Response.Headers.Location = $"{context.Request.PathBase}{prefix}/listeners/{Uri.EscapeDataString(info.Name)}";
        return TypedResults.Json(info, AdminJsonContext.Info<ListenerInfo>(), statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> Delete(HttpContext context)
    {
        var name = AdminNameParameter.Of(context);
        var listeners = context.RequestServices.GetRequiredService<IListenerManager>();
        return await listeners.StopAsync(name, context.RequestAborted).ConfigureAwait(false) ? TypedResults.NoContent() : AdminProblems.NotFound(name);
    }
}
