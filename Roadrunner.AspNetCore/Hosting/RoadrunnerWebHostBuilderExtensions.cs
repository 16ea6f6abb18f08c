using Microsoft.Extensions.DependencyInjection;
using Roadrunner.AspNetCore;

namespace Microsoft.AspNetCore.Hosting;

/// <summary>Wires Roadrunner into a web host in one line.</summary>
public static class RoadrunnerWebHostBuilderExtensions
{
    /// <summary>
    /// Adds Roadrunner runtime listeners to the Kestrel server of this host (same as
    /// <c>services.AddRoadrunner(configure)</c>). Ordinary endpoints (<c>--urls</c>, <c>Listen(...)</c>) keep working.
    /// </summary>
    /// <param name="builder">The web host builder, e.g. <c>WebApplicationBuilder.WebHost</c>.</param>
    /// <param name="configure">Optional code configuration.</param>
    /// <returns>The builder.</returns>
    public static IWebHostBuilder UseRoadrunner(this IWebHostBuilder builder, Action<RoadrunnerOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.ConfigureServices(services => services.AddRoadrunner(configure));
    }
}
