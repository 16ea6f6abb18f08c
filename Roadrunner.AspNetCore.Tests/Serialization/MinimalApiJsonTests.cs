using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Roadrunner.AspNetCore.Tests.Infrastructure;

namespace Roadrunner.AspNetCore.Tests.Serialization;

/// <summary>The library's records returned straight from minimal API handlers, over real sockets.</summary>
public sealed class MinimalApiJsonTests
{
    public static TheoryData<bool> OnlyTheSourceGeneratedContext => [false, true];

    [Theory]
    [MemberData(nameof(OnlyTheSourceGeneratedContext))]
    public async Task Get_ports_returning_GetListeners_is_200_with_each_listener_as_an_address_and_a_port(bool onlyTheContext)
    {
        await using var app = await StartAsync(onlyTheContext);
        var info = await app.Manager.StartAsync("t1", new ListenerOptions { MaxConnections = 10 });
        using var client = Net.Client(app.PlainUrl!);

        using var response = await client.GetAsync(new Uri("/ports", UriKind.Relative));

        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, text);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/json");
        var startedAt = JsonSerializer.Serialize(info.StartedAt);
        text.ShouldBe($$"""[{"name":"t1","address":"127.0.0.1","port":{{info.Port}},"scheme":"http","protocols":"Http1","status":"Accepting","activeConnections":0,"maxConnections":10,"requestsServed":0,"rejected":0,"startedAt":{{startedAt}},"maxConnectionsBehavior":"Close","maxRequestBodySize":null,"requestHeadersTimeoutMs":null,"keepAliveTimeoutMs":null,"maxRequestsPerConnection":null,"minRequestBodyDataRate":null,"maxConcurrentRequests":null,"rateLimit":null,"throttled":0,"rateLimited":0}]""");
    }

    [Theory]
    [MemberData(nameof(OnlyTheSourceGeneratedContext))]
    public async Task The_quick_start_drain_route_answers_the_result_with_a_string_outcome_and_elapsedMs(bool onlyTheContext)
    {
        await using var app = await StartAsync(onlyTheContext);
        await app.Manager.StartAsync("t1", new ListenerOptions());
        using var client = Net.Client(app.PlainUrl!);

        using var response = await client.PostAsync(new Uri("/ports/t1/drain", UriKind.Relative), content: null);

        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, text);
        using var json = JsonDocument.Parse(text);
        json.RootElement.EnumerateObject().Select(p => p.Name).ShouldBe(["listenerName", "outcome", "gracefulConnections", "abortedConnections", "acknowledgements", "elapsedMs"]);
        json.RootElement.GetProperty("listenerName").GetString().ShouldBe("t1");
        json.RootElement.GetProperty("outcome").GetString().ShouldBe("Drained");
        json.RootElement.GetProperty("elapsedMs").GetInt64().ShouldBeInRange(0, 30_000);
    }

    [Fact]
    public async Task The_payloads_of_a_real_listener_life_serialize_with_web_defaults_and_the_library_context()
    {
        using var events = new EventRecorder();
        await using var app = await TestApp.StartAsync();
        var name = $"ev{Guid.NewGuid():N}"[..20];
        var info = await app.Manager.StartAsync(name, new ListenerOptions());
        (await app.Manager.DrainAsync(name, TimeSpan.FromSeconds(5))).ShouldNotBeNull();
        await events.WaitForAsync<ListenerStoppedEvent>(RoadrunnerEvents.ListenerStopped, e => e.ListenerName == name);

        var payloads = events.Events.Select(e => e.Value).Where(p => Json(p).Contains($"\"{name}\"", StringComparison.Ordinal)).ToList();

        payloads.Select(p => p!.GetType()).ShouldBe([typeof(ListenerStartedEvent), typeof(DrainStartedEvent), typeof(DrainResult), typeof(ListenerStoppedEvent)], ignoreOrder: true);
        foreach (var payload in payloads)
        {
            var type = payload!.GetType();
            JsonSerializer.Serialize(payload, type, RoadrunnerJsonContext.Default).ShouldBe(Json(payload));
        }

        Json(payloads.OfType<ListenerStartedEvent>().Single()).ShouldContain($"\"address\":\"127.0.0.1\",\"port\":{info.Port}");
    }

    private static string Json(object? payload) => JsonSerializer.Serialize(payload, payload?.GetType() ?? typeof(object), JsonSerializerOptions.Web);

    private static Task<TestApp> StartAsync(bool onlyTheContext) => TestApp.StartAsync(
        configureBuilder: builder =>
        {
            if (onlyTheContext)
            {
                // As under Native AOT, where reflection-based serialization is off: the library's context alone.
                builder.Services.Configure<JsonOptions>(o => o.SerializerOptions.TypeInfoResolver = RoadrunnerJsonContext.Default);
            }
        },
        configureApp: app =>
        {
            app.MapGet("/ports", (IListenerManager listeners) => listeners.GetListeners());
            app.MapPost("/ports/{name}/drain", async (string name, IListenerManager listeners) =>
                await listeners.DrainAsync(name, TimeSpan.FromSeconds(30)) is { } r ? Results.Ok(r) : Results.NotFound());
        },
        plainEndpoint: true);
}
