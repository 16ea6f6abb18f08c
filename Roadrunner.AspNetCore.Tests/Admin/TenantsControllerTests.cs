using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Roadrunner.AspNetCore.Tests.Example;

namespace Roadrunner.AspNetCore.Tests.Admin;

/// <summary>The example's tenants controller: onboarding starts a listener with the tenant's limits, offboarding drains it.</summary>
public sealed class TenantsControllerTests
{
    [Fact]
    public async Task Onboarding_starts_the_tenants_listener_with_its_configured_cap_then_409_and_offboarding_drains_it_then_404()
    {
        await using var app = ExampleApp.Start();
        var configuration = app.Services.GetRequiredService<IConfiguration>();
        configuration["Tenants:acme:MaxConnections"] = "5";
        using var admin = app.Admin();

        using (var onboard = await admin.PostAsync(new Uri("/tenants/acme", UriKind.Relative), content: null))
        {
            onboard.StatusCode.ShouldBe(HttpStatusCode.Created, await onboard.Content.ReadAsStringAsync());
            onboard.Headers.Location!.OriginalString.ShouldBe("/tenants/acme");
            var listener = await onboard.JsonAsync();
            listener.GetProperty("name").GetString().ShouldBe("tenant-acme");
            listener.GetProperty("maxConnections").GetInt32().ShouldBe(5);
            using var tenant = ExampleApp.Client(ExampleHttp.UrlOf(listener));
            (await tenant.GetStringAsync(new Uri("/", UriKind.Relative))).ShouldContain("listener=tenant-acme");
        }

        // The body overrides configuration.
        using (var other = await admin.PostJsonAsync("/tenants/globex", """{"maxConnections":9}"""))
        {
            (await other.JsonAsync()).GetProperty("maxConnections").GetInt32().ShouldBe(9);
        }

        using (var again = await admin.PostAsync(new Uri("/tenants/acme", UriKind.Relative), content: null))
        {
            (await again.ShouldBeProblemAsync(HttpStatusCode.Conflict)).Detail().ShouldContain("onboarded already");
        }

        using (var offboard = await admin.DeleteAsync(new Uri("/tenants/acme?graceMs=5000", UriKind.Relative)))
        {
            offboard.StatusCode.ShouldBe(HttpStatusCode.OK);
            (await offboard.JsonAsync()).GetProperty("outcome").GetString().ShouldBe("Drained");
        }

        app.Manager.GetListener("tenant-acme").ShouldBeNull();
        using (var gone = await admin.DeleteAsync(new Uri("/tenants/acme", UriKind.Relative)))
        {
            await gone.ShouldBeProblemAsync(HttpStatusCode.NotFound);
        }

        using (var invalid = await admin.PostJsonAsync("/tenants/bad", """{"port":70000}"""))
        {
            (await invalid.ShouldBeProblemAsync(HttpStatusCode.BadRequest)).Detail().ShouldContain("Port");
        }

        app.Manager.GetListener("tenant-bad").ShouldBeNull();

        // Like the admin API, the controller exists on the admin listener only.
        using var pub = ExampleApp.Client(app.PublicUrl);
        using var elsewhere = await pub.PostAsync(new Uri("/tenants/acme", UriKind.Relative), content: null);
        elsewhere.StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }
}
