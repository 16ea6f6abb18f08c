namespace Roadrunner.AspNetCore.Hosting;

/// <summary>Why a host cannot serve runtime listeners, and what to change: the message of a failed server check.</summary>
internal static class ServerCompatibility
{
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
