using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Roadrunner.AspNetCore.Listeners;

namespace Roadrunner.AspNetCore.Admin;

/// <summary>
/// The admin API's handlers and their OpenAPI metadata. Endpoints are <see cref="RequestDelegate"/>s (no reflection-based
/// parameter binding: trim- and AOT-safe in a library) that return typed results; bodies are read by <see cref="AdminBody"/>
/// and mapped by <see cref="AdminListenerMapping"/>.
/// </summary>
internal static class AdminEndpoints
{
    public const string Tag = "Roadrunner admin";

    private static readonly string[] Json = ["application/json"];

    // Serializes PATCH read-modify-write cycles (rare admin calls; never on a request or accept path).
    private static readonly SemaphoreSlim PatchGate = new(1, 1);

    public static void Map(RouteGroupBuilder group, string prefix, AdminAccess access)
    {
        var listeners = group.MapGet("/listeners", access.Wrap(null, List)).Described(named: false)
            .WithName("Roadrunner.ListListeners")
            .WithSummary("Lists the listeners")
            .WithDescription("Every registered listener (accepting, suspended or draining), most recently started first.");
        Produces<IReadOnlyList<ListenerInfo>>(listeners, StatusCodes.Status200OK);

        var get = group.MapGet("/listeners/{name}", access.Wrap(null, Get)).Described(named: true)
            .WithName("Roadrunner.GetListener")
            .WithSummary("Gets one listener")
            .WithDescription("The listener's address, protocols, status and counters.");
        Produces<ListenerInfo>(get, StatusCodes.Status200OK);
        Problems(get, StatusCodes.Status404NotFound);

        var create = group.MapPost("/listeners", access.Wrap("create", context => Create(context, prefix))).Described(named: false)
            .WithName("Roadrunner.CreateListener")
            .WithSummary("Starts a listener")
            .WithDescription("Binds a new listener and starts accepting on it; answers once it accepts. The Location header names the new listener.");
        Accepts<CreateListenerRequest>(create, optional: false);
        Produces<ListenerInfo>(create, StatusCodes.Status201Created);
        Problems(create, StatusCodes.Status409Conflict);
        BodyProblems(create);

        var delete = group.MapDelete("/listeners/{name}", access.Wrap("delete", Delete)).Described(named: true)
            .WithName("Roadrunner.DeleteListener")
            .WithSummary("Stops a listener at once")
            .WithDescription("Closes the listen socket and forgets the name; open connections are not waited on (use drain for that).");
        delete.WithMetadata(new ProducesResponseTypeMetadata(StatusCodes.Status204NoContent, typeof(void)));
        Problems(delete, StatusCodes.Status404NotFound);

        var drain = group.MapPost("/listeners/{name}/drain", access.Wrap("drain", Drain)).Described(named: true)
            .WithName("Roadrunner.DrainListener")
            .WithSummary("Drains a listener")
            .WithDescription("Stops accepting, signals every request, waits for the connections to close until the deadline, aborts what is left and removes the listener; answers 200 with the result when it ends. Draining the listener that carries this request answers 202 at once.");
        Accepts<DrainRequest>(drain, optional: true);
        Produces<DrainResponse>(drain, StatusCodes.Status200OK);
        Produces<DrainScheduledResponse>(drain, StatusCodes.Status202Accepted);
        Problems(drain, StatusCodes.Status404NotFound);
        BodyProblems(drain);

        var notify = group.MapPost("/listeners/{name}/notify-drain", access.Wrap("notify-drain", NotifyDrain)).Described(named: true)
            .WithName("Roadrunner.NotifyDrain")
            .WithSummary("Soft-drains a listener")
            .WithDescription("Sends the drain signal with a deadline to the requests in flight; the listener keeps accepting and nothing is waited on.");
        Accepts<NotifyDrainRequest>(notify, optional: true);
        Produces<DrainScheduledResponse>(notify, StatusCodes.Status202Accepted);
        Problems(notify, StatusCodes.Status404NotFound);
        BodyProblems(notify);

        var suspend = group.MapPost("/listeners/{name}/suspend", access.Wrap("suspend", context => Suspend(context, resume: false))).Described(named: true)
            .WithName("Roadrunner.SuspendListener")
            .WithSummary("Suspends a listener")
            .WithDescription("Stops accepting but keeps the socket bound: connects wait in the backlog, open connections keep serving.");
        Produces<ListenerInfo>(suspend, StatusCodes.Status200OK);
        Problems(suspend, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);

        var resume = group.MapPost("/listeners/{name}/resume", access.Wrap("resume", context => Suspend(context, resume: true))).Described(named: true)
            .WithName("Roadrunner.ResumeListener")
            .WithSummary("Resumes a suspended listener")
            .WithDescription("Starts accepting again; the connects queued in the backlog meanwhile are served.");
        Produces<ListenerInfo>(resume, StatusCodes.Status200OK);
        Problems(resume, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);
    }

    /// <summary>The routes that change a running listener: <c>PATCH {name}</c> and <c>POST {name}/certificate</c>.</summary>
    public static void MapChanges(RouteGroupBuilder group, AdminAccess access)
    {
        var update = group.MapPatch("/listeners/{name}", access.Wrap("update", Update)).Described(named: true)
            .WithName("Roadrunner.UpdateListener")
            .WithSummary("Changes a running listener's limits")
            .WithDescription("JSON merge patch of the connection cap and the per-listener limits: a field with a value sets it, null clears it back to the default, an absent field keeps its value. New connections and requests see the new values at once; nothing is dropped. A field that cannot change live (address, port, protocols, certificate, PROXY protocol, client certificates) is a 409, as is a draining listener.");
        Accepts<UpdateListenerRequest>(update, optional: false);
        Produces<ListenerInfo>(update, StatusCodes.Status200OK);
        Problems(update, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);
        BodyProblems(update);

        var certificate = group.MapPost("/listeners/{name}/certificate", access.Wrap("replace-certificate", ReplaceCertificate)).Described(named: true)
            .WithName("Roadrunner.ReplaceCertificate")
            .WithSummary("Replaces a TLS listener's certificate")
            .WithDescription("Loads the certificate files (PKCS#12 + password, or PEM certificate + key) and serves them to new connections at once; open connections keep theirs. A file that does not load is a 400 and the old certificate is kept; a plaintext listener is a 409.");
        Accepts<ReplaceCertificateRequest>(certificate, optional: false);
        Produces<ListenerInfo>(certificate, StatusCodes.Status200OK);
        Problems(certificate, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);
        BodyProblems(certificate);
    }

    /// <summary>
    /// What OpenAPI (ApiExplorer) needs to list a <see cref="RequestDelegate"/> endpoint: a method whose parameters are the
    /// route's. The endpoints bind nothing through it; <paramref name="named"/> describes the <c>{name}</c> path parameter.
    /// </summary>
    public static TBuilder Described<TBuilder>(this TBuilder builder, bool named)
        where TBuilder : IEndpointConventionBuilder =>
        named
            ? builder.WithMetadata(((Action<string>)NamedRoute).Method, NameParameter.Instance)
            : builder.WithMetadata(((Action)PlainRoute).Method);

    /// <summary>401 and 403 on every endpoint: the access rules of <see cref="AdminAccess"/>.</summary>
    public static void AccessProblems(IEndpointConventionBuilder builder) =>
        Problems(builder, StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden);

    private static Task<IResult> List(HttpContext context)
    {
        var listeners = context.RequestServices.GetRequiredService<IListenerManager>();
        return Task.FromResult<IResult>(TypedResults.Json(listeners.GetListeners(), AdminJsonContext.Info<IReadOnlyList<ListenerInfo>>()));
    }

    private static Task<IResult> Get(HttpContext context)
    {
        var name = Name(context);
        var listeners = context.RequestServices.GetRequiredService<IListenerManager>();
        return Task.FromResult(listeners.GetListener(name) is { } info ? Ok(info) : AdminProblems.NotFound(name));
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
        var name = Name(context);
        var listeners = context.RequestServices.GetRequiredService<IListenerManager>();
        return await listeners.StopAsync(name, context.RequestAborted).ConfigureAwait(false) ? TypedResults.NoContent() : AdminProblems.NotFound(name);
    }

    private static async Task<IResult> Drain(HttpContext context)
    {
        var name = Name(context);
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
        var name = Name(context);
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
        var name = Name(context);
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

        return info is null ? AdminProblems.NotFound(name) : Ok(info);
    }

    private static async Task<IResult> Update(HttpContext context)
    {
        var name = Name(context);
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

        return info is null ? AdminProblems.NotFound(name) : Ok(info);
    }

    private static async Task<IResult> ReplaceCertificate(HttpContext context)
    {
        var name = Name(context);
        var (request, problem) = await AdminBody.ReadAsync<ReplaceCertificateRequest>(context, optional: false).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        if (string.IsNullOrWhiteSpace(request!.CertificatePath))
        {
            return AdminProblems.Field("certificatePath", "is required: the path of a PKCS#12 (.pfx) file, or of a PEM certificate with certificateKeyPath");
        }

        if (request.CertificatePassword is not null && request.CertificateKeyPath is not null)
        {
            return AdminProblems.Field("certificateKeyPath", "give certificatePassword for a PKCS#12 file or certificateKeyPath for a PEM certificate, not both");
        }

        var listeners = context.RequestServices.GetRequiredService<IListenerManager>();
        ListenerInfo? info;
        try
        {
            var certificate = new ListenerCertificate { Path = request.CertificatePath, Password = request.CertificatePassword, KeyPath = request.CertificateKeyPath };
            info = await listeners.ReplaceCertificateFromFileAsync(name, certificate, context.RequestAborted).ConfigureAwait(false);
        }
        catch (OptionsValidationException ex)
        {
            // The old certificate is still served; the message says why the new one did not load.
            return AdminProblems.FromOptionsValidation(ex);
        }
        catch (InvalidOperationException ex)
        {
            return AdminProblems.Create(StatusCodes.Status409Conflict, ex.Message);
        }

        return info is null ? AdminProblems.NotFound(name) : Ok(info);
    }

    private static IResult Draining(string name) =>
        AdminProblems.Create(StatusCodes.Status409Conflict, $"Listener '{AdminProblems.Printable(name)}' is draining: its options no longer change. Start a new listener instead.");

    private static void NamedRoute([FromRoute] string name)
    {
    }

    private static void PlainRoute()
    {
    }

    private static string Name(HttpContext context) => context.Request.RouteValues["name"] as string ?? string.Empty;

    private static JsonHttpResult<ListenerInfo> Ok(ListenerInfo info) => TypedResults.Json(info, AdminJsonContext.Info<ListenerInfo>());

    private static void Accepts<T>(IEndpointConventionBuilder builder, bool optional) =>
        builder.WithMetadata(new JsonBodyMetadata(typeof(T), optional));

    private static void Produces<T>(IEndpointConventionBuilder builder, int statusCode) =>
        builder.WithMetadata(new ProducesResponseTypeMetadata(statusCode, typeof(T), Json));

    private static void Problems(IEndpointConventionBuilder builder, params int[] statusCodes)
    {
        foreach (var statusCode in statusCodes)
        {
            builder.WithMetadata(new ProducesResponseTypeMetadata(statusCode, typeof(ProblemDetails), ["application/problem+json"]));
        }
    }

    /// <summary>A body can be invalid (400 with the field), too large (413) or not UTF-8 JSON (415).</summary>
    private static void BodyProblems(IEndpointConventionBuilder builder)
    {
        builder.WithMetadata(new ProducesResponseTypeMetadata(StatusCodes.Status400BadRequest, typeof(HttpValidationProblemDetails), ["application/problem+json"]));
        Problems(builder, StatusCodes.Status413PayloadTooLarge, StatusCodes.Status415UnsupportedMediaType);
    }

    /// <summary>
    /// The body an endpoint reads itself (so OpenAPI knows it): UTF-8 JSON of the given type. Routing also reads this
    /// (AcceptsMatcherPolicy answers 415 for other media types), so it lists every JSON media type AdminBody takes.
    /// </summary>
    private sealed class JsonBodyMetadata(Type type, bool optional) : IAcceptsMetadata
    {
        private static readonly string[] JsonMediaTypes = ["application/json", "text/json", "application/*+json"];

        public IReadOnlyList<string> ContentTypes => JsonMediaTypes;

        public Type? RequestType => type;

        public bool IsOptional => optional;
    }

    /// <summary>The <c>{name}</c> route parameter as OpenAPI's parameter discovery expects it (RequestDelegateFactory's shape).</summary>
    private sealed class NameParameter : IParameterBindingMetadata
    {
        public static readonly NameParameter Instance = new();

        public string Name => "name";

        public bool HasTryParse => false;

        public bool HasBindAsync => false;

        public System.Reflection.ParameterInfo ParameterInfo { get; } = ((Action<string>)NamedRoute).Method.GetParameters()[0];

        public bool IsOptional => false;
    }
}
