using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Microsoft.Extensions.Options;
using Roadrunner.AspNetCore;
using Roadrunner.Example.Admin;
using Roadrunner.Example.Models;

namespace Roadrunner.Example.Controllers;

/// <summary>
/// The admin API: start, inspect, drain and stop listeners at runtime. It exists only on the <c>admin</c>
/// listener (404 everywhere else), takes at most 64 KB of UTF-8 JSON, and needs <c>X-Api-Key</c> when
/// <c>Admin:ApiKey</c> is configured. Keep the admin listener on loopback, or set the key.
/// </summary>
[ApiController]
[Route("admin/listeners")]
[RequireListener(AdminListener)]
[TypeFilter<ApiKeyFilter>]
[RequestSizeLimit(MaxBodyBytes)]
[Utf8JsonBody]
public sealed partial class ListenersController(IListenerManager listeners, TimeProvider time) : ControllerBase
{
    public const string AdminListener = "admin";
    public const int MaxBodyBytes = 64 * 1024;
    public const long MaxDrainMs = 600_000;
    public const long DefaultDrainMs = 30_000;

    /// <summary>All listeners, most recently started first, as the library serializes <see cref="ListenerInfo"/> (no DTO needed).</summary>
    [HttpGet]
    public ActionResult<IReadOnlyList<ListenerInfo>> List() => Ok(listeners.GetListeners());

    /// <summary>One listener, or 404.</summary>
    [HttpGet("{name}")]
    public ActionResult<ListenerInfo> Get(string name) =>
        listeners.GetListener(name) is { } info ? Ok(info) : NotFoundProblem(name);

    /// <summary>Starts a listener: 201, 400 (invalid), 409 (name taken or address in use).</summary>
    [HttpPost]
    public async Task<ActionResult<ListenerInfo>> Create([FromBody] CreateListenerRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (string.IsNullOrEmpty(request.Name))
        {
            return AdminProblems.Field(HttpContext, "name", "is required");
        }

        if (!ValidName().IsMatch(request.Name))
        {
            return AdminProblems.Field(HttpContext, "name", $"'{Printable(request.Name)}' is not a valid listener name; use 1–64 characters from [A-Za-z0-9._-]");
        }

        var tls = !string.IsNullOrWhiteSpace(request.CertificatePath);
        if (!tls && request.CertificatePassword is not null)
        {
            return AdminProblems.Field(HttpContext, "certificatePassword", "is only used with certificatePath");
        }

        if (!tls && request.Protocols == ListenerProtocols.Http1AndHttp2)
        {
            return AdminProblems.Field(HttpContext, "protocols", "Http1AndHttp2 needs TLS (give certificatePath and certificatePassword); use Http1, or Http2 for h2c");
        }

        var options = new ListenerOptions
        {
            Address = request.Address ?? "127.0.0.1",
            Port = request.Port ?? 0,
            Protocols = request.Protocols ?? ListenerProtocols.Http1,
            MaxConnections = request.MaxConnections,
            UseTls = tls,
            CertificatePath = tls ? request.CertificatePath : null,
            CertificatePassword = tls ? request.CertificatePassword : null,
        };

        ListenerInfo info;
        try
        {
            info = await listeners.StartAsync(request.Name, options, HttpContext.RequestAborted);
        }
        catch (DuplicateListenerException ex)
        {
            return AdminProblems.Create(HttpContext, StatusCodes.Status409Conflict, $"name: {ex.Message}");
        }
        catch (ListenerBindException ex) when (ex.AddressInUse)
        {
            return AdminProblems.Create(HttpContext, StatusCodes.Status409Conflict, $"port: {ex.Message}");
        }
        catch (ListenerBindException ex)
        {
            // Not local, not permitted, ...: the request asked for something this machine cannot give.
            var field = ex.InnerException is SocketException { SocketErrorCode: SocketError.AccessDenied } ? "port" : "address";
            return AdminProblems.Field(HttpContext, field, ex.Message);
        }
        catch (OptionsValidationException ex)
        {
            return AdminProblems.FromOptionsValidation(HttpContext, ex);
        }
        catch (ArgumentException ex)
        {
            return AdminProblems.Field(HttpContext, "name", ex.Message);
        }

        return Created($"/admin/listeners/{Uri.EscapeDataString(info.Name)}", info);
    }

    /// <summary>Stops a listener at once (open connections are not waited on): 204, or 404.</summary>
    [HttpDelete("{name}")]
    public async Task<IActionResult> Delete(string name) =>
        await listeners.StopAsync(name, HttpContext.RequestAborted) ? NoContent() : NotFoundProblem(name);

    /// <summary>
    /// Drains a listener and answers when the drain has ended: 200 with the result, or 404. Draining the listener
    /// that carries this very request cannot be waited on (its connection is one of those drained), so that case
    /// answers 202 at once and the drain runs on.
    /// </summary>
    [HttpPost("{name}/drain")]
    public async Task<ActionResult<DrainResponse>> Drain(string name, [FromBody(EmptyBodyBehavior = EmptyBodyBehavior.Allow)] DrainRequest? request)
    {
        var timeoutMs = request?.TimeoutMs ?? DefaultDrainMs;
        if (timeoutMs is < 0 or > MaxDrainMs)
        {
            return AdminProblems.Field(HttpContext, "timeoutMs", $"must be between 0 and {MaxDrainMs} (got {timeoutMs})");
        }

        if (listeners.GetListener(name) is null)
        {
            return NotFoundProblem(name);
        }

        var timeout = TimeSpan.FromMilliseconds(timeoutMs);
        if (string.Equals(HttpContext.GetListenerName(), name, StringComparison.OrdinalIgnoreCase))
        {
            var deadline = time.GetUtcNow() + timeout;
            _ = listeners.DrainAsync(name, timeout, CancellationToken.None);
            return Accepted(new DrainScheduledResponse(name, deadline));
        }

        DrainResult? result;
        try
        {
            result = await listeners.DrainAsync(name, timeout, HttpContext.RequestAborted);
        }
        catch (OperationCanceledException) when (HttpContext.RequestAborted.IsCancellationRequested)
        {
            return new EmptyResult(); // The caller left; the drain runs on to its deadline.
        }

        return result is null ? NotFoundProblem(name) : Ok(DrainResponse.From(result));
    }

    /// <summary>Soft drain: tells the requests in flight, keeps accepting, waits on nothing: 202, or 404.</summary>
    [HttpPost("{name}/notify-drain")]
    public async Task<ActionResult<DrainScheduledResponse>> NotifyDrain(string name, [FromBody(EmptyBodyBehavior = EmptyBodyBehavior.Allow)] NotifyDrainRequest? request)
    {
        var deadlineMs = request?.DeadlineMs ?? DefaultDrainMs;
        if (deadlineMs is < 0 or > MaxDrainMs)
        {
            return AdminProblems.Field(HttpContext, "deadlineMs", $"must be between 0 and {MaxDrainMs} (got {deadlineMs})");
        }

        var deadline = time.GetUtcNow().AddMilliseconds(deadlineMs);
        return await listeners.NotifyDrainAsync(name, deadline, HttpContext.RequestAborted)
            ? Accepted(new DrainScheduledResponse(name, deadline))
            : NotFoundProblem(name);
    }

    private ObjectResult NotFoundProblem(string name) =>
        AdminProblems.Create(HttpContext, StatusCodes.Status404NotFound, $"No listener named '{Printable(name)}'.");

    /// <summary>Echoes user input safely: control characters escaped, length capped.</summary>
    private static string Printable(string value)
    {
        var shown = new StringBuilder();
        foreach (var c in value.Length > 80 ? value[..80] : value)
        {
            if (char.IsControl(c))
            {
                shown.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
            }
            else
            {
                shown.Append(c);
            }
        }

        return value.Length > 80 ? shown.Append('…').ToString() : shown.ToString();
    }

    // \z, not $: "$" also matches before a trailing newline.
    [GeneratedRegex(@"^[A-Za-z0-9._-]{1,64}\z", RegexOptions.CultureInvariant)]
    private static partial Regex ValidName();
}
