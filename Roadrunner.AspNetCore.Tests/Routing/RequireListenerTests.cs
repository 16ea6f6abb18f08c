using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;
using Roadrunner.AspNetCore.Tests.Infrastructure;

namespace Roadrunner.AspNetCore.Tests.Routing;

public sealed class RequireListenerTests : IAsyncLifetime
{
    private TestApp _app = null!;
    private HttpClient _admin = null!;
    private HttpClient _public = null!;
    private HttpClient _plain = null!;

    public async Task InitializeAsync()
    {
        _app = await TestApp.StartAsync(
            plainEndpoint: true,
            configureBuilder: b => b.Services.AddControllers().AddApplicationPart(typeof(AdminOnlyController).Assembly),
            configureApp: app =>
            {
                app.MapGet("/minimal", () => "minimal").RequireListener("admin");
                var group = app.MapGroup("/group").RequireListener("admin", "other");
                group.MapGet("/item", () => "item");
                app.MapGet("/shared", () => "shared-admin").RequireListener("admin");
                app.MapGet("/shared", () => "shared-public").RequireListener("public");
                app.MapControllers();
            });
        _admin = Net.Client(await _app.StartListenerAsync("admin"));
        _public = Net.Client(await _app.StartListenerAsync("public"));
        _plain = Net.Client(_app.PlainUrl!);
    }

    public async Task DisposeAsync()
    {
        _admin.Dispose();
        _public.Dispose();
        _plain.Dispose();
        await _app.DisposeAsync();
    }

    [Theory]
    [InlineData("/minimal", "minimal")]
    [InlineData("/group/item", "item")]
    [InlineData("/controller-admin", "controller")]
    public async Task Restricted_endpoint_answers_on_its_listener_and_404s_elsewhere(string path, string body)
    {
        (await _admin.GetStringAsync(path)).ShouldBe(body);

        (await _public.GetAsync(path)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await _plain.GetAsync(path)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task The_same_route_can_be_served_differently_per_listener()
    {
        (await _admin.GetStringAsync("/shared")).ShouldBe("shared-admin");
        (await _public.GetStringAsync("/shared")).ShouldBe("shared-public");
        (await _plain.GetAsync("/shared")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Listener_names_in_the_convention_are_case_insensitive()
    {
        await using var app = await TestApp.StartAsync(configureApp: a => a.MapGet("/ci", () => "ci").RequireListener("ADMIN"));
        using var client = Net.Client(await app.StartListenerAsync("admin"));

        (await client.GetStringAsync("/ci")).ShouldBe("ci");
    }

    [Fact]
    public async Task Unrestricted_endpoints_answer_everywhere_with_the_listener_name()
    {
        (await _admin.GetStringAsync("/")).ShouldBe("listener=admin");
        (await _public.GetStringAsync("/")).ShouldBe("listener=public");
        (await _plain.GetStringAsync("/")).ShouldBe("listener=");
    }
}

[ApiController]
[RequireListener("admin")]
public sealed class AdminOnlyController : ControllerBase
{
    [HttpGet("/controller-admin")]
    public string Get() => "controller";
}
