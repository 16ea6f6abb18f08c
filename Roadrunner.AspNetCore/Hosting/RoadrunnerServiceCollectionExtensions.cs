using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Roadrunner.AspNetCore;
using Roadrunner.AspNetCore.Diagnostics;
using Roadrunner.AspNetCore.Hosting;
using Roadrunner.AspNetCore.Listeners;
using Roadrunner.AspNetCore.Reload;
using Roadrunner.AspNetCore.Routing;
using Roadrunner.AspNetCore.Transport;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Roadrunner's services.</summary>
public static class RoadrunnerServiceCollectionExtensions
{
    private const string ConfigurationSection = "Roadrunner";

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

        // What BindConfiguration("Roadrunner") does, with the binding written out (see BindRoadrunnerSection).
        var optionsBuilder = services.AddOptions<RoadrunnerOptions>()
            .Configure<IConfiguration>((options, configuration) => BindRoadrunnerSection(configuration.GetSection(ConfigurationSection), options))
            .ValidateOnStart();
        services.AddSingleton<IOptionsChangeTokenSource<RoadrunnerOptions>>(sp =>
            new ConfigurationChangeTokenSource<RoadrunnerOptions>(sp.GetRequiredService<IConfiguration>()));
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
        services.TryAddSingleton<ListenerConfigurationReloader>();

        // Kestrel tries factories last-registered-first; ours answers CanBind only for its placeholders.
        services.AddSingleton<IConnectionListenerFactory>(sp => sp.GetRequiredService<RoadrunnerConnectionListenerFactory>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IConfigureOptions<KestrelServerOptions>, RoadrunnerKestrelOptionsSetup>());
        services.AddHostedService<RoadrunnerHostedService>();
        services.TryAddEnumerable(ServiceDescriptor.Transient<IStartupFilter, RoadrunnerStartupFilter>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<MatcherPolicy, ListenerMatcherPolicy>());

        // Minimal APIs can return listeners and drain results as they are, under Native AOT too.
        services.ConfigureHttpJsonOptions(static o => o.SerializerOptions.TypeInfoResolverChain.Add(RoadrunnerJsonContext.Default));
        return services;
    }

    // Binding written out property by property instead of Bind/BindConfiguration on the options types, so that the
    // library is trim- and AOT-safe: the GetValue<T> calls are intercepted by the configuration binding source
    // generator (EnableConfigurationBindingGenerator), which parses exactly like the binder (invariant culture,
    // case-insensitive enums, empty value = keep the current one, errors naming the key's path). The generator cannot
    // be pointed at ListenerOptions itself: it would generate binding code for the code-only X509Certificate2
    // Certificate (obsolete constructors and properties, SYSLIB0026-0028) and .NET 10 has no [ConfigurationIgnore].
    // Packaging/ConfigurationBindingTests fails when a settable option property is missing here.
    private static void BindRoadrunnerSection(IConfiguration section, RoadrunnerOptions options)
    {
        options.ShutdownDrainMargin = section.GetValue(nameof(RoadrunnerOptions.ShutdownDrainMargin), options.ShutdownDrainMargin);
        options.ShutdownDelay = section.GetValue(nameof(RoadrunnerOptions.ShutdownDelay), options.ShutdownDelay);
        options.DrainSpread = section.GetValue(nameof(RoadrunnerOptions.DrainSpread), options.DrainSpread);
        options.BindServerUrls = section.GetValue(nameof(RoadrunnerOptions.BindServerUrls), options.BindServerUrls);
        options.ReloadDrainTimeout = section.GetValue(nameof(RoadrunnerOptions.ReloadDrainTimeout), options.ReloadDrainTimeout);

        foreach (var child in section.GetSection(nameof(RoadrunnerOptions.Listeners)).GetChildren())
        {
            if (!options.Listeners.TryGetValue(child.Key, out var listener) || listener is null)
            {
                listener = new ListenerOptions();
            }

            BindListenerSection(child, listener);
            options.Listeners[child.Key] = listener;
        }
    }

    private static void BindListenerSection(IConfigurationSection section, ListenerOptions listener)
    {
        // A certificate object cannot come from configuration (the reflection binder could not convert a value either).
        var certificate = section.GetSection(nameof(ListenerOptions.Certificate));
        if (certificate.Exists())
        {
            throw new InvalidOperationException(
                $"{certificate.Path} cannot be set in configuration: set CertificatePath (and CertificateKeyPath for PEM) " +
                "or CertificateSubject, or ListenerOptions.Certificate in code.");
        }

        listener.Address = section[nameof(ListenerOptions.Address)] ?? listener.Address;
        listener.Port = section.GetValue(nameof(ListenerOptions.Port), listener.Port);
        listener.Protocols = section.GetValue(nameof(ListenerOptions.Protocols), listener.Protocols);
        listener.UseTls = section.GetValue(nameof(ListenerOptions.UseTls), listener.UseTls);
        listener.CertificatePath = section[nameof(ListenerOptions.CertificatePath)] ?? listener.CertificatePath;
        listener.CertificatePassword = section[nameof(ListenerOptions.CertificatePassword)] ?? listener.CertificatePassword;
        listener.CertificateKeyPath = section[nameof(ListenerOptions.CertificateKeyPath)] ?? listener.CertificateKeyPath;
        listener.CertificateSubject = section[nameof(ListenerOptions.CertificateSubject)] ?? listener.CertificateSubject;
        listener.CertificateStoreName = section.GetValue(nameof(ListenerOptions.CertificateStoreName), listener.CertificateStoreName);
        listener.CertificateStoreLocation = section.GetValue(nameof(ListenerOptions.CertificateStoreLocation), listener.CertificateStoreLocation);
        listener.MaxConnections = section.GetValue(nameof(ListenerOptions.MaxConnections), listener.MaxConnections);
        listener.MaxConnectionsBehavior = section.GetValue(nameof(ListenerOptions.MaxConnectionsBehavior), listener.MaxConnectionsBehavior);
        listener.DrainSpread = section.GetValue(nameof(ListenerOptions.DrainSpread), listener.DrainSpread);
        listener.ShutdownOrder = section.GetValue(nameof(ListenerOptions.ShutdownOrder), listener.ShutdownOrder);
        listener.MaxRequestBodySize = section.GetValue(nameof(ListenerOptions.MaxRequestBodySize), listener.MaxRequestBodySize);
        listener.RequestHeadersTimeout = section.GetValue(nameof(ListenerOptions.RequestHeadersTimeout), listener.RequestHeadersTimeout);
        listener.KeepAliveTimeout = section.GetValue(nameof(ListenerOptions.KeepAliveTimeout), listener.KeepAliveTimeout);
        listener.MaxRequestsPerConnection = section.GetValue(nameof(ListenerOptions.MaxRequestsPerConnection), listener.MaxRequestsPerConnection);
        listener.MaxConcurrentRequests = section.GetValue(nameof(ListenerOptions.MaxConcurrentRequests), listener.MaxConcurrentRequests);
        listener.MinRequestBodyDataRate = BindDataRate(section.GetSection(nameof(ListenerOptions.MinRequestBodyDataRate)), listener.MinRequestBodyDataRate);
        listener.RateLimit = BindRateLimit(section.GetSection(nameof(ListenerOptions.RateLimit)), listener.RateLimit);
    }

    // A nested limit exists once any of its keys is configured; keys left out keep what code set (or 0, which validation names).
    private static ListenerDataRate? BindDataRate(IConfigurationSection section, ListenerDataRate? current)
    {
        if (!section.Exists())
        {
            return current;
        }

        var rate = current ?? new ListenerDataRate();
        rate.BytesPerSecond = section.GetValue(nameof(ListenerDataRate.BytesPerSecond), rate.BytesPerSecond);
        rate.GracePeriod = section.GetValue(nameof(ListenerDataRate.GracePeriod), rate.GracePeriod);
        return rate;
    }

    private static ListenerRateLimit? BindRateLimit(IConfigurationSection section, ListenerRateLimit? current)
    {
        if (!section.Exists())
        {
            return current;
        }

        var limit = current ?? new ListenerRateLimit();
        limit.PermitsPerSecond = section.GetValue(nameof(ListenerRateLimit.PermitsPerSecond), limit.PermitsPerSecond);
        limit.Burst = section.GetValue(nameof(ListenerRateLimit.Burst), limit.Burst);
        return limit;
    }
}
