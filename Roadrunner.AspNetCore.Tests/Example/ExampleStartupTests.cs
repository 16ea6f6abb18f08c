using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Roadrunner.AspNetCore.Tests.Example;

public sealed class ExampleStartupTests
{
    [Fact]
    public async Task Configured_listeners_start_on_the_overridden_ports_and_each_logs_its_real_address()
    {
        await using var app = ExampleApp.Start();

        app.Manager.Names.ShouldBe(["public", "admin"]);
        app.AdminUrl.Host.ShouldBe("127.0.0.1");
        app.PublicUrl.Host.ShouldBe("127.0.0.1");
        app.AdminUrl.Port.ShouldBeGreaterThan(0);
        app.PublicUrl.Port.ShouldBeGreaterThan(0);

        // appsettings.json declares the defaults that the test overrode with Port=0.
        var configuration = app.Services.GetRequiredService<IConfiguration>();
        configuration["Roadrunner:Listeners:admin:Address"].ShouldBe("127.0.0.1");
        configuration["Roadrunner:Listeners:public:Address"].ShouldBe("127.0.0.1");

        var started = app.Logs.Where(l => l.StartsWith("Roadrunner.AspNetCore.Listeners|Information|Listener '", StringComparison.Ordinal) && l.Contains("' started on ", StringComparison.Ordinal)).ToList();
        started.Count.ShouldBe(2);
        started.ShouldContain(l => l.Contains($"Listener 'admin' started on http://127.0.0.1:{app.AdminUrl.Port}", StringComparison.Ordinal));
        started.ShouldContain(l => l.Contains($"Listener 'public' started on http://127.0.0.1:{app.PublicUrl.Port}", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Nothing_is_bound_but_the_listeners_and_the_endpoint_the_test_asked_for()
    {
        await using var app = ExampleApp.Start();

        var addresses = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses;
        // The three Roadrunner placeholder endpoints (no socket of their own) and the test's endpoint; no 5000/5080,
        // no localhost:5000 default.
        addresses.Where(a => !a.Contains("roadrunner-", StringComparison.Ordinal)).ShouldBe([app.PlainUrl.ToString().TrimEnd('/')]);
    }

    [Fact]
    public async Task Root_names_the_listener_that_answered_on_every_listener()
    {
        await using var app = ExampleApp.Start();
        using var admin = ExampleApp.Client(app.AdminUrl);
        using var pub = ExampleApp.Client(app.PublicUrl);
        using var plain = ExampleApp.Client(app.PlainUrl);

        foreach (var (client, name) in new[] { (admin, "admin"), (pub, "public"), (plain, "(none)") })
        {
            using var response = await client.GetAsync(new Uri("/", UriKind.Relative));
            response.StatusCode.ShouldBe(HttpStatusCode.OK);
            response.MediaType()!.MediaType.ShouldBe("text/plain");
            (await response.Content.ReadAsStringAsync()).ShouldContain($"listener={name}");
        }
    }

    [Fact]
    public async Task Slow_waits_then_answers_done_and_rejects_out_of_range_waits()
    {
        await using var app = ExampleApp.Start();
        using var client = ExampleApp.Client(app.PublicUrl);

        var clock = System.Diagnostics.Stopwatch.StartNew();
        using (var response = await client.GetAsync(new Uri("/slow?ms=200", UriKind.Relative)))
        {
            response.StatusCode.ShouldBe(HttpStatusCode.OK);
            (await response.Content.ReadAsStringAsync()).Trim().ShouldBe("done");
        }

        clock.ElapsedMilliseconds.ShouldBeGreaterThanOrEqualTo(190);

        foreach (var path in new[] { "/slow", "/slow?ms=-1", "/slow?ms=60001", "/slow?ms=abc", "/longpoll?ms=60001", "/longpoll" })
        {
            using var response = await client.GetAsync(new Uri(path, UriKind.Relative));
            var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest);
            problem.Detail().ShouldStartWith("ms:");
        }

        using (var response = await client.GetAsync(new Uri("/longpoll?ms=0", UriKind.Relative)))
        {
            response.StatusCode.ShouldBe(HttpStatusCode.NoContent);
        }
    }

    [Fact]
    public async Task Ws_without_an_upgrade_is_a_400_problem()
    {
        await using var app = ExampleApp.Start();
        using var client = ExampleApp.Client(app.PublicUrl);

        using var response = await client.GetAsync(new Uri("/ws", UriKind.Relative));

        (await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest)).Detail().ShouldContain("WebSocket");
    }
}
