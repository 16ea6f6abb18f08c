using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Roadrunner.AspNetCore;
using Roadrunner.Example.Models;

namespace Roadrunner.Example.Controllers;

/// <summary>
/// The design card's use case in its own terms: onboarding a tenant starts a listener with that tenant's limits and
/// certificate, offboarding drains it. Not a copy of the admin API: it speaks of tenants, takes their settings from
/// configuration (<c>Tenants:{id}</c>) with an optional body on top, and uses <see cref="IListenerManager"/> directly.
/// Lives on the admin listener, like the admin API.
/// </summary>
[ApiController]
[Route("tenants")]
[RequireListener(ProblemDetailsDefaults.AdminListener)]
public sealed class TenantsController(IListenerManager listeners, IConfiguration configuration) : ControllerBase
{
    /// <summary>The listener name of a tenant.</summary>
    public static string ListenerName(string id) => $"tenant-{id}";

    /// <summary>
    /// Onboards a tenant: 201 with its listener, 409 when it is onboarded already or its port is taken, 400 for settings the
    /// listener refuses.
    /// </summary>
    [HttpPost("{id}")]
    public async Task<ActionResult<ListenerInfo>> Onboard(string id, [FromBody(EmptyBodyBehavior = Microsoft.AspNetCore.Mvc.ModelBinding.EmptyBodyBehavior.Allow)] TenantSettings? body)
    {
        // Configuration first (what operations set up for the tenant), the body's fields on top.
        var section = configuration.GetSection($"Tenants:{id}");
        var options = new ListenerOptions
        {
            Address = body?.Address ?? section["Address"] ?? "127.0.0.1",
            Port = body?.Port ?? section.GetValue("Port", 0),
            MaxConnections = body?.MaxConnections ?? section.GetValue<int?>("MaxConnections"),
            CertificatePath = body?.CertificatePath ?? section["CertificatePath"],
            CertificatePassword = body?.CertificatePassword ?? section["CertificatePassword"],
        };
        options.UseTls = !string.IsNullOrEmpty(options.CertificatePath);

        try
        {
            var info = await listeners.StartAsync(ListenerName(id), options, HttpContext.RequestAborted);
            return Created($"/tenants/{Uri.EscapeDataString(id)}", info);
        }
        catch (DuplicateListenerException)
        {
            return Problem($"Tenant '{id}' is onboarded already.", statusCode: StatusCodes.Status409Conflict);
        }
        catch (ListenerBindException ex)
        {
            return Problem(ex.Message, statusCode: ex.AddressInUse ? StatusCodes.Status409Conflict : StatusCodes.Status400BadRequest);
        }
        catch (Exception ex) when (ex is OptionsValidationException or ArgumentException)
        {
            return Problem($"Tenant '{id}' cannot be onboarded: {ex.Message}", statusCode: StatusCodes.Status400BadRequest);
        }
    }

    /// <summary>The tenant's listener, or 404.</summary>
    [HttpGet("{id}")]
    public ActionResult<ListenerInfo> Get(string id) =>
        listeners.GetListener(ListenerName(id)) is { } info ? info : Problem($"No tenant '{id}'.", statusCode: StatusCodes.Status404NotFound);

    /// <summary>Offboards a tenant: drains its listener (grace <c>?graceMs=</c>, default 30 s) and answers with the result, or 404.</summary>
    [HttpDelete("{id}")]
    public async Task<ActionResult<DrainResult>> Offboard(string id, [FromQuery] int graceMs = 30_000)
    {
        if (graceMs is < 0 or > 600_000)
        {
            return Problem($"graceMs must be between 0 and 600000 (got {graceMs}).", statusCode: StatusCodes.Status400BadRequest);
        }

        var result = await listeners.DrainAsync(ListenerName(id), TimeSpan.FromMilliseconds(graceMs), HttpContext.RequestAborted);
        return result is null ? Problem($"No tenant '{id}'.", statusCode: StatusCodes.Status404NotFound) : result;
    }
}
