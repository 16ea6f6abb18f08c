using System.Text.Json.Serialization;
using Roadrunner.Example;
using Roadrunner.Example.Admin;
using Roadrunner.Example.Controllers;

var builder = WebApplication.CreateBuilder(args);

// Runtime listeners. The ones under Roadrunner:Listeners in appsettings.json (admin on 127.0.0.1:5080, public on
// 127.0.0.1:5000; override with --Roadrunner:Listeners:admin:Port=18080) start with the app, and nothing else is
// bound unless --urls asks for it.
builder.WebHost.UseRoadrunner();

// Errors are RFC 9457 problem details everywhere: admin API, unknown routes (404/405), exceptions.
builder.Services.AddProblemDetails(options => options.CustomizeProblemDetails = ProblemDetailsDefaults.AddDetail);

builder.Services
    .AddControllers(options =>
    {
        // Request DTOs declare what is optional themselves; "request: field is required" would only add noise.
        options.SuppressImplicitRequiredAttributeForNonNullableReferenceTypes = true;
    })
    .AddJsonOptions(options =>
    {
        options.JsonSerializerOptions.Converters.Add(new JsonStringEnumConverter(allowIntegerValues: false));
        options.JsonSerializerOptions.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow; // Typos are errors.
    })
    .ConfigureApiBehaviorOptions(options => options.InvalidModelStateResponseFactory = AdminProblems.FromModelState);
builder.Services.ConfigureHttpJsonOptions(options => options.SerializerOptions.Converters.Add(new JsonStringEnumConverter()));

// Readiness: unhealthy (503) once host shutdown begins, degraded (still 200) while a listener drains.
builder.Services.AddHealthChecks().AddRoadrunner();

var app = builder.Build();

app.UseExceptionHandler(new ExceptionHandlerOptions
{
    // Kestrel's BadHttpRequestException carries the right status, e.g. 413 for an admin body over 64 KB.
    StatusCodeSelector = ex => ex is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status500InternalServerError,

    // A client's bad request is answered, not logged as an application error.
    SuppressDiagnosticsCallback = context => context.Exception is BadHttpRequestException,
});
app.UseStatusCodePages();
app.UseWebSockets();
app.UseRoadrunnerDrain();

app.MapHealthEndpoints();
app.MapDemoEndpoints();
app.MapControllers();

app.Run();

/// <summary>The entry point; public and partial so tests can use <c>WebApplicationFactory&lt;Program&gt;</c>.</summary>
public partial class Program;
