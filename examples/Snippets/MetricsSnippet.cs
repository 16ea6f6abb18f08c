// <readme:metrics>
using OpenTelemetry.Metrics;                     // packages OpenTelemetry.Extensions.Hosting, OpenTelemetry.Exporter.Prometheus.AspNetCore

// </readme:metrics>
namespace Snippets;

/// <summary>The README's metrics block: Roadrunner's and Kestrel's meters exported for Prometheus to scrape.</summary>
internal static class MetricsSnippet
{
    internal static void AddMetrics(WebApplicationBuilder builder)
    {
        // <readme:metrics>
        builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter("Roadrunner.AspNetCore")                 // roadrunner.* (RoadrunnerEvents.MeterName)
            .AddMeter("Microsoft.AspNetCore.Server.Kestrel")   // kestrel.*, tagged roadrunner.listener.name
            .AddPrometheusExporter());
        // </readme:metrics>
    }

    internal static void MapMetrics(WebApplication app)
    {
        // <readme:metrics>
        app.MapPrometheusScrapingEndpoint().RequireListener("admin"); // GET /metrics on the admin listener only
        // </readme:metrics>
    }
}
