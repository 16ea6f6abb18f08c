using Microsoft.Extensions.Logging;
using Roadrunner.AspNetCore.Diagnostics;
using Roadrunner.AspNetCore.Listeners;
using Roadrunner.AspNetCore.Transport;

namespace Roadrunner.AspNetCore.Hosting;

/// <summary>Whether the host serves runtime listeners, and if not, why and what to change.</summary>
internal static class ServerCompatibility
{
    /// <summary>
    /// Called once the server has started: checks that Kestrel reads the placeholder endpoints. If it does not, a
    /// listener would accept connections that nobody serves, so every listener is stopped and this throws.
    /// </summary>
    /// <exception cref="InvalidOperationException">The host cannot serve listeners; the message says why and what to do.</exception>
    public static async Task VerifyAsync(
        ListenerManager manager, RoadrunnerConnectionListenerFactory transport, RoadrunnerDiagnostics diagnostics, object? server, bool preferHostingUrls)
    {
        if (transport.AllBound)
        {
            manager.RecordServerCheck(string.Empty);
            RoadrunnerLog.PlaceholdersExplained(diagnostics.HostingLogger);
            return;
        }

        var problem = Describe(server, preferHostingUrls);
        manager.RecordServerCheck(problem);
        var started = manager.Names;

        // Start-up fails when listeners were configured (an error); an app without any only learns it cannot start them.
        RoadrunnerLog.ServerUnusable(diagnostics.HostingLogger, started.Count > 0 ? LogLevel.Error : LogLevel.Warning, problem);
        foreach (var name in started)
        {
            await manager.StopAsync(name, CancellationToken.None).ConfigureAwait(false);
        }

        // Connections accepted before this check sit in a queue Kestrel never reads: close them, and every later one.
        foreach (var shape in Enum.GetValues<TransportShape>())
        {
            if (transport.GetMultiplexer(shape) is { IsBound: false } unread)
            {
                await unread.DisposeAsync().ConfigureAwait(false);
            }
        }

        if (started.Count > 0)
        {
            throw new InvalidOperationException(problem);
        }
    }

    public static string Describe(object? server, bool preferHostingUrls)
    {
        var kestrel = server?.GetType().Assembly == typeof(Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions).Assembly;
        if (!kestrel)
        {
            return $"Roadrunner listeners need Kestrel, but the server is {server?.GetType().FullName ?? "missing"}. " +
                "With WebApplicationFactory, call factory.UseKestrel(...) before the first client or StartServer() so the app runs on real sockets; " +
                "TestServer has no sockets for runtime listeners (README: 'Testing your app').";
        }

        return preferHostingUrls
            ? "Kestrel ignored Roadrunner's endpoints because PreferHostingUrls is true (ASPNETCORE_PREFERHOSTINGURLS, the " +
                "'preferHostingUrls' setting, or WebApplicationFactory.UseKestrel(port)). Turn it off: Roadrunner binds the " +
                "server URLs itself next to its listeners (Roadrunner:BindServerUrls); in tests use factory.UseKestrel(options => ...)."
            : "Kestrel did not bind Roadrunner's endpoints. Call builder.WebHost.UseRoadrunner() (or services.AddRoadrunner()) " +
                "before the server is built, and do not replace Kestrel's endpoint configuration wholesale.";
    }
}
