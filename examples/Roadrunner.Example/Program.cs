using Roadrunner.AspNetCore;
using Roadrunner.Example;

var builder = WebApplication.CreateBuilder(args);

// Runtime listeners. The ones under Roadrunner:Listeners in appsettings.json (admin on 127.0.0.1:5080, public on
// 127.0.0.1:5000; override with --Roadrunner:Listeners:admin:Port=18080) start with the app, and nothing else is
// bound unless --urls asks for it.
builder.WebHost.UseRoadrunner();

// The admin API's key: Roadrunner:Admin:ApiKey, or the example's older Admin:ApiKey (--Admin:ApiKey=s3cret). Without a
// key the admin endpoints answer loopback clients only, which is where the admin listener is bound.
builder.Services.AddOptions<RoadrunnerAdminOptions>()
    .Configure<IConfiguration>((options, configuration) => options.ApiKey = configuration["Admin:ApiKey"] is { Length: > 0 } key ? key : options.ApiKey);

// Errors are RFC 9457 problem details everywhere: admin API, unknown routes (404/405), exceptions.
builder.Services.AddProblemDetails(options => options.CustomizeProblemDetails = ProblemDetailsDefaults.AddDetail);

// MVC for the tenants controller (the design card's use case, on top of IListenerManager).
builder.Services.AddControllers();

// The OpenAPI document of the admin API (and the rest of the app): /openapi/v1.json on the admin listener.
builder.Services.AddOpenApi();

// Readiness: unhealthy (503) once host shutdown begins, degraded (still 200) while a listener drains.
builder.Services.AddHealthChecks().AddRoadrunner();

var app = builder.Build();

app.UseExceptionHandler(new ExceptionHandlerOptions
{
    // Kestrel's BadHttpRequestException carries the right status (e.g. 413, 431).
    StatusCodeSelector = ex => ex is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status500InternalServerError,

    // A client's bad request is answered, not logged as an application error.
    SuppressDiagnosticsCallback = context => context.Exception is BadHttpRequestException,
});
app.UseStatusCodePages();
app.UseWebSockets();
app.UseRoadrunnerDrain();

app.MapHealthEndpoints();
app.MapDemoEndpoints();

// <readme:admin>
app.MapRoadrunnerAdmin().RequireListener("admin");
app.MapRoadrunnerDashboard().RequireListener("admin");
app.MapOpenApi().RequireListener("admin");
// </readme:admin>

app.MapControllers();

app.Run();

/// <summary>The entry point; public and partial so tests can use <c>WebApplicationFactory&lt;Program&gt;</c>.</summary>
public partial class Program;
