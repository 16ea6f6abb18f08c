// <kubernetes-doc>
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

// </kubernetes-doc>
namespace Roadrunner.Fleet;

/// <summary>
/// The C# block of docs/kubernetes.md, compiled here so that it cannot rot: the app set up for rolling restarts
/// behind a Kubernetes Service. Never run by the fleet (the fleet runs examples/Roadrunner.Example, which does the same
/// with its settings on the command line).
/// </summary>
internal static class KubernetesDoc
{
    internal static void Run(string[] args)
    {
        // <kubernetes-doc>
        var builder = WebApplication.CreateBuilder(args);
        builder.WebHost.UseRoadrunner(options =>
        {
            // Keep serving, with readiness already 503, until every kube-proxy and ingress has dropped the pod:
            // at least readiness periodSeconds × failureThreshold, plus endpoint propagation.
            options.ShutdownDelay = TimeSpan.FromSeconds(5);
            // WebSocket and SSE clients hear the drain over 2 s, so they reconnect elsewhere in a trickle, not a spike.
            options.DrainSpread = TimeSpan.FromSeconds(2);
        });
        // The whole shutdown: delay + drain + margin. terminationGracePeriodSeconds must be longer.
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(25));
        builder.Services.AddHealthChecks().AddRoadrunner();   // tagged "ready": Unhealthy from SIGTERM on

        var app = builder.Build();
        app.UseWebSockets();
        app.UseRoadrunnerDrain();
        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false });  // liveness: the process answers
        app.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = check => check.Tags.Contains("ready") }); // 503 once shutting down
        app.Run();
        // </kubernetes-doc>
    }
}
