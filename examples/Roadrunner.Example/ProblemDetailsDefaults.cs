namespace Roadrunner.Example;

/// <summary>Fills in the <c>detail</c> of problems the framework creates without one.</summary>
public static class ProblemDetailsDefaults
{
    /// <summary>The listener the admin API, the dashboard and the tenants controller live on (404 everywhere else).</summary>
    public const string AdminListener = "admin";

    /// <summary>The admin API's body limit (MapRoadrunnerAdmin answers 413 above it).</summary>
    public const int MaxAdminBodyBytes = 64 * 1024;

    public static void AddDetail(ProblemDetailsContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var problem = context.ProblemDetails;
        if (problem.Detail is not null)
        {
            return;
        }

        var request = context.HttpContext.Request;
        var listener = context.HttpContext.GetListenerName();
        problem.Detail = problem.Status switch
        {
            StatusCodes.Status404NotFound when request.Path.StartsWithSegments("/admin") && !string.Equals(listener, AdminListener, StringComparison.OrdinalIgnoreCase) =>
                $"No endpoint {request.Method} {request.Path} here: the admin API answers only on the '{AdminListener}' listener.",
            StatusCodes.Status404NotFound => $"No endpoint {request.Method} {request.Path}.",
            StatusCodes.Status405MethodNotAllowed => $"{request.Method} is not allowed on {request.Path}.",
            StatusCodes.Status413PayloadTooLarge => $"The request body is too large; the admin API accepts at most {MaxAdminBodyBytes} bytes.",
            StatusCodes.Status415UnsupportedMediaType => $"Content-Type '{request.ContentType}' is not supported; send application/json.",
            StatusCodes.Status503ServiceUnavailable when context.HttpContext.GetDrainSignal().IsDraining =>
                $"Listener '{listener ?? "(none)"}' is draining; retry in {context.HttpContext.Response.Headers.RetryAfter} s.",
            _ when context.Exception is BadHttpRequestException bad => bad.Message,
            _ => problem.Detail,
        };
    }
}
