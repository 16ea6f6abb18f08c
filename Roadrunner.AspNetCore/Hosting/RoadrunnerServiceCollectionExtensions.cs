using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Roadrunner.AspNetCore;
using Roadrunner.AspNetCore.Diagnostics;
using Roadrunner.AspNetCore.Hosting;
using Roadrunner.AspNetCore.Listeners;
using Roadrunner.AspNetCore.Routing;
using Roadrunner.AspNetCore.Transport;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Roadrunner's services.</summary>
public static class RoadrunnerServiceCollectionExtensions
{
    /// <summary>
    /// Adds runtime listeners to a Kestrel app: the <see cref="IListenerManager"/>, the transport Kestrel binds
    /// them through, listeners declared under configuration section <c>Roadrunner</c> (validated at start-up),
    /// per-listener routing and the host-shutdown drain. Safe to call more than once.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Optional code configuration, applied after the configuration section.</param>
    /// <returns>The service collection.</returns>
    public static IServiceCollection AddRoadrunner(this IServiceCollection services, Action<RoadrunnerOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);

        var optionsBuilder = services.AddOptions<RoadrunnerOptions>().BindConfiguration("Roadrunner").ValidateOnStart();
        if (configure is not null)
        {
            optionsBuilder.Configure(configure);
        }

        if (services.Any(d => d.ServiceType == typeof(ListenerManager)))
        {
            return services;
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RoadrunnerOptions>, RoadrunnerOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.TryAddSingleton<RoadrunnerMetrics>();
        services.TryAddSingleton<RoadrunnerDiagnostics>();
        services.TryAddSingleton<SocketFactoryHolder>();
        services.TryAddSingleton<RoadrunnerConnectionListenerFactory>();
        services.TryAddSingleton<ListenerManager>();
        services.TryAddSingleton<IListenerManager>(sp => sp.GetRequiredService<ListenerManager>());

        // Kestrel tries factories last-registered-first; ours answers CanBind only for its placeholders.
        services.AddSingleton<IConnectionListenerFactory>(sp => sp.GetRequiredService<RoadrunnerConnectionListenerFactory>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IConfigureOptions<KestrelServerOptions>, RoadrunnerKestrelOptionsSetup>());
        services.AddHostedService<RoadrunnerHostedService>();
        services.TryAddEnumerable(ServiceDescriptor.Transient<IStartupFilter, RoadrunnerStartupFilter>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<MatcherPolicy, ListenerMatcherPolicy>());
        return services;
    }
}
