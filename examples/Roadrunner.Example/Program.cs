using System.Text;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Mvc.Formatters;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Roadrunner.AspNetCore;
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

        // The admin API reads route values and UTF-8 JSON bodies only (Utf8JsonBodyAttribute answers 415 for anything
        // else): no UTF-16 decoding, and no form value providers, which throw (a 500) on form keys such as "a[b".
        foreach (var json in options.InputFormatters.OfType<SystemTextJsonInputFormatter>())
        {
            json.SupportedEncodings.Remove(Encoding.Unicode);
        }

        options.ValueProviderFactories.RemoveType<FormValueProviderFactory>();
        options.ValueProviderFactories.RemoveType<JQueryFormValueProviderFactory>();
        options.ValueProviderFactories.RemoveType<FormFileValueProviderFactory>();
    })
    .AddJsonOptions(options =>
    {
        // Strict input: what a client did not mean to send is a 400 naming the field, never a guess. The library's
        // records (ListenerInfo, DrainResult) serialize as they are: enums as names, endpoints as address and port.
        var json = options.JsonSerializerOptions;
        json.Converters.Add(new ExactEnumNameConverter<ListenerProtocols>()); // "Http2", not 1, "1" or "Http1, Http2".
        json.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow; // Typos are errors.
        json.AllowDuplicateProperties = false; // {"name":"a","name":"b"} is an error, not "b".
        json.NumberHandling = JsonNumberHandling.Strict; // "port":"0" is an error (web defaults read numbers from strings).
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
