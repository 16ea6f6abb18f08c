using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Roadrunner.AspNetCore.Listeners;

namespace Roadrunner.AspNetCore.Admin;

/// <summary>
/// <c>PATCH listeners/{name}</c>: a JSON merge patch of a running listener's live limits. Separate from the other routes
/// because it alone reads, patches and republishes the running options, one patch at a time.
/// </summary>
internal static class AdminUpdateEndpoints
{
    // Serializes PATCH read-modify-write cycles (rare admin calls; never on a request or accept path).
    private static readonly SemaphoreSlim PatchGate = new(1, 1);

    public static void Map(RouteGroupBuilder group, AdminAccess access)
    {
        var update = group.MapPatch("/listeners/{name}", access.Wrap("update", Update)).Described(named: true)
            .WithName("Roadrunner.UpdateListener")
            .WithSummary("Changes a running listener's limits")
            .WithDescription("JSON merge patch of the connection cap and the per-listener limits: a field with a value sets it, null clears it back to the default, an absent field keeps its value. New connections and requests see the new values at once; nothing is dropped. A field that cannot change live (address, port, protocols, certificate, PROXY protocol, client certificates) is a 409, as is a draining listener.");
        AdminOpenApiMetadata.Accepts<UpdateListenerRequest>(update, optional: false);
        AdminOpenApiMetadata.Produces<ListenerInfo>(update, StatusCodes.Status200OK);
        AdminOpenApiMetadata.Problems(update, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);
        AdminOpenApiMetadata.BodyProblems(update);
    }

    private static async Task<IResult> Update(HttpContext context)
    {
        var name = AdminNameParameter.Of(context);
        var (request, problem) = await AdminBody.ReadAsync<UpdateListenerRequest>(context, optional: false).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        var listeners = context.RequestServices.GetRequiredService<IListenerManager>();
        if (listeners is not ListenerManager manager)
        {
            // The admin code patches the running options, which only Roadrunner's own manager exposes.
            return AdminProblems.Create(StatusCodes.Status501NotImplemented, "The registered IListenerManager is not Roadrunner's: PATCH needs its running options. Remove the replacement registration.");
        }

        if (manager.Find(name) is not { } listener)
        {
            return AdminProblems.NotFound(name);
        }

        if (listener.Status == ListenerStatus.Draining)
        {
            return Draining(name);
        }

        ListenerInfo? info;
        await PatchGate.WaitAsync(context.RequestAborted).ConfigureAwait(false);
        try
        {
            // A copy of what runs now: the patch changes only what it names (UpdateAsync takes complete options). Patches
            // take turns from reading to publishing, so two concurrent ones both apply instead of the last undoing the first.
            var options = listener.Options.Clone();
            if (!AdminListenerMapping.TryPatch(request!, options, out problem))
            {
                return problem!;
            }

            info = await listeners.UpdateAsync(name, options, context.RequestAborted).ConfigureAwait(false);
        }
        catch (OptionsValidationException ex)
        {
            return AdminProblems.FromOptionsValidation(ex);
        }
        catch (ListenerUpdateException ex)
        {
            return AdminListenerMapping.CannotChange(AdminListenerMapping.FieldOfOption(ex.Key));
        }
        catch (InvalidOperationException)
        {
            // It started draining between the check and the update.
            return Draining(name);
        }
        finally
        {
            PatchGate.Release();
        }

        return info is null ? AdminProblems.NotFound(name) : AdminResults.Ok(info);
    }

    private static IResult Draining(string name) =>
        AdminProblems.Create(StatusCodes.Status409Conflict, $"Listener '{AdminProblems.Printable(name)}' is draining: its options no longer change. Start a new listener instead.");
}
