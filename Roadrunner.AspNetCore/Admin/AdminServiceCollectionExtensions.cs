using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Roadrunner.AspNetCore.Admin.Dashboard;

namespace Roadrunner.AspNetCore.Admin;

/// <summary>The services behind <c>MapRoadrunnerAdmin</c> and <c>MapRoadrunnerDashboard</c>, added by <c>AddRoadrunner</c>.</summary>
internal static class AdminServiceCollectionExtensions
{
    public static void AddRoadrunnerAdmin(this IServiceCollection services)
    {
        // Bound from Roadrunner:Admin the same way as the rest of the section (see BindRoadrunnerSection): written out,
        // so no reflection binder is needed.
        services.AddOptions<RoadrunnerAdminOptions>()
            .Configure<IConfiguration>(static (options, configuration) =>
                options.ApiKey = configuration.GetSection(RoadrunnerAdminOptions.SectionName)[nameof(RoadrunnerAdminOptions.ApiKey)] ?? options.ApiKey)
            .ValidateOnStart();
        services.AddSingleton<IOptionsChangeTokenSource<RoadrunnerAdminOptions>>(sp =>
            new ConfigurationChangeTokenSource<RoadrunnerAdminOptions>(sp.GetRequiredService<IConfiguration>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RoadrunnerAdminOptions>, RoadrunnerAdminOptionsValidator>());
        services.TryAddSingleton<AdminAccess>();
        services.TryAddSingleton<DashboardFeed>();

        // OpenAPI describes the admin bodies through the app's JSON options; under Native AOT only a context can.
        services.ConfigureHttpJsonOptions(static o => o.SerializerOptions.TypeInfoResolverChain.Add(AdminJsonContext.Default));
    }
}
