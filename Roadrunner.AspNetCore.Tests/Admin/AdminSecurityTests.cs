using System.Net;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Roadrunner.AspNetCore.Tests.Example;
using Roadrunner.AspNetCore.Tests.Infrastructure;

namespace Roadrunner.AspNetCore.Tests.Admin;

/// <summary>
/// Who may call MapRoadrunnerAdmin and MapRoadrunnerDashboard: loopback only by default (with a start-up warning), anyone
/// with the API key, anyone ASP.NET Core authorization lets through. A remote client is a real request whose client address
/// the forwarded-headers middleware sets from X-Forwarded-For, as behind a reverse proxy on the same machine.
/// </summary>
public sealed class AdminSecurityTests
{
    private const string RemoteClient = "203.0.113.9";

    [Fact]
    public async Task Without_authorization_or_key_a_remote_client_gets_403_for_every_endpoint_loopback_is_served_and_one_warning_says_how_to_secure_it()
    {
        await using var app = await StartAsync(group => { });
        using var client = Net.Client(app.Url);

        foreach (var (method, path) in Routes)
        {
            using var remote = await SendAsync(client, method, path, forwardedFor: RemoteClient);
            (await remote.ShouldBeProblemAsync(HttpStatusCode.Forbidden)).Detail().ShouldContain("loopback");
        }

        app.Test.Manager.GetListener("victim")!.Status.ShouldBe(ListenerStatus.Accepting);
        using (var local = await client.GetAsync(new Uri("/admin/listeners", UriKind.Relative)))
        {
            local.StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        using (var page = await client.GetAsync(new Uri("/admin/ui/", UriKind.Relative)))
        {
            page.StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        var warnings = app.Test.Logs.Entries.Where(e => e.EventId.Id == 66).ToList();
        warnings.Count.ShouldBe(2); // One per group: the admin API and the dashboard.
        warnings.ShouldAllBe(w => w.Level == LogLevel.Warning && w.Message.Contains("RequireAuthorization") && w.Message.Contains("Roadrunner:Admin:ApiKey"));
        app.Test.Logs.Entries.Count(e => e.EventId.Id == 67).ShouldBe(1); // Refusals are summarised, not logged one by one.
    }

    [Fact]
    public async Task With_RequireAuthorization_a_remote_authenticated_client_is_served_an_anonymous_one_is_challenged_and_no_warning_is_logged()
    {
        await using var app = await StartAsync(group => group.RequireAuthorization(), authentication: true);
        using var client = Net.Client(app.Url);

        using (var anonymous = await SendAsync(client, HttpMethod.Get, "/admin/listeners", forwardedFor: RemoteClient))
        {
            anonymous.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        }

        using (var user = await SendAsync(client, HttpMethod.Get, "/admin/listeners", forwardedFor: RemoteClient, user: "alice"))
        {
            user.StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        using var events = new EventRecorder();
        using (var suspend = await SendAsync(client, HttpMethod.Post, "/admin/listeners/victim/suspend", forwardedFor: RemoteClient, user: "alice"))
        {
            suspend.StatusCode.ShouldBe(HttpStatusCode.OK);
            (await suspend.JsonAsync()).GetProperty("status").GetString().ShouldBe("Suspended");
        }

        var audit = await events.WaitForAsync<AdminActionEvent>(RoadrunnerEvents.AdminAction, e => e.ListenerName == "victim" && e.Action == "suspend");
        audit.Principal.ShouldBe("alice");
        audit.ClientAddress!.ShouldStartWith($"{RemoteClient}:");
        audit.StatusCode.ShouldBe(200);
        app.Test.Logs.Entries.ShouldNotContain(e => e.EventId.Id == 66);
    }

    [Fact]
    public async Task With_an_api_key_remote_clients_with_the_key_are_served_and_every_mutating_call_is_audited_with_the_key_id_never_the_key()
    {
        const string Key = "0123456789abcdef-key";
        await using var app = await StartAsync(group => { }, apiKey: Key);
        using var client = Net.Client(app.Url);
        using var events = new EventRecorder();

        using (var without = await SendAsync(client, HttpMethod.Post, "/admin/listeners/victim/suspend", forwardedFor: RemoteClient))
        {
            await without.ShouldBeProblemAsync(HttpStatusCode.Unauthorized);
        }

        using (var with = await SendAsync(client, HttpMethod.Post, "/admin/listeners/victim/suspend", forwardedFor: RemoteClient, apiKey: Key))
        {
            with.StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        using (var resume = await SendAsync(client, HttpMethod.Post, "/admin/listeners/victim/resume", apiKey: Key))
        {
            (await resume.JsonAsync()).GetProperty("status").GetString().ShouldBe("Accepting");
        }

        using (var missing = await SendAsync(client, HttpMethod.Post, "/admin/listeners/nope/resume", apiKey: Key))
        {
            await missing.ShouldBeProblemAsync(HttpStatusCode.NotFound);
        }

        var audits = app.Test.Logs.Entries.Where(e => e.EventId.Id == 65).Select(e => e.Message).ToList();
        audits.Count.ShouldBe(4);
        audits[0].ShouldContain("suspend of listener 'victim' by anonymous from 203.0.113.9:");
        audits[0].ShouldContain(": 401");
        audits[1].ShouldMatch(@"suspend of listener 'victim' by api-key:[0-9a-f]{8} from 203\.0\.113\.9:\d+: 200");
        audits[2].ShouldContain("resume of listener 'victim' by api-key:");
        audits[3].ShouldContain("resume of listener 'nope'");
        audits[3].ShouldContain(": 404");
        app.Test.Logs.Entries.ShouldNotContain(e => e.Message.Contains(Key, StringComparison.Ordinal));

        // The recorder sees every app of the test process: count this test's calls only, by this key's id and by the
        // refused call's forwarded address.
        var keyId = System.Text.RegularExpressions.Regex.Match(audits[1], "api-key:[0-9a-f]{8}").Value;
        var mine = events.Payloads<AdminActionEvent>(RoadrunnerEvents.AdminAction).Where(e => e.Principal == keyId
            || (e.StatusCode == 401 && e.ClientAddress?.StartsWith("203.0.113.9:", StringComparison.Ordinal) == true)).ToList();
        mine.Select(e => (e.Action, e.ListenerName, e.StatusCode)).ShouldBe([("suspend", "victim", 401), ("suspend", "victim", 200), ("resume", "victim", 200), ("resume", "nope", 404)]);
        app.Test.Logs.Entries.ShouldNotContain(e => e.EventId.Id == 66);
    }

    [Fact]
    public async Task Suspend_of_a_draining_listener_is_409_and_reads_are_not_audited()
    {
        await using var app = await StartAsync(group => { });
        using var client = Net.Client(app.Url);
        // A request in flight that ignores the drain keeps the listener draining until it returns.
        using var slowClient = Net.Client(app.Test.Manager.GetListener("victim")!.Url);
        var slow = slowClient.GetAsync(new Uri("/slow?ms=3000", UriKind.Relative));
        (await Net.EventuallyAsync(() => app.Test.Manager.GetListener("victim")!.RequestsServed == 1)).ShouldBeTrue();
        var drain = app.Test.Manager.DrainAsync("victim", TimeSpan.FromSeconds(30));
        (await Net.EventuallyAsync(() => app.Test.Manager.GetListener("victim")?.Status == ListenerStatus.Draining)).ShouldBeTrue();

        using (var suspend = await SendAsync(client, HttpMethod.Post, "/admin/listeners/victim/suspend"))
        {
            (await suspend.ShouldBeProblemAsync(HttpStatusCode.Conflict)).Detail().ShouldContain("draining");
        }

        using (var list = await client.GetAsync(new Uri("/admin/listeners", UriKind.Relative)))
        {
            list.StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        app.Test.Logs.Entries.Where(e => e.EventId.Id == 65).Select(e => e.Message).ShouldHaveSingleItem().ShouldContain("suspend");
        (await slow.WaitAsync(TimeSpan.FromSeconds(20))).Dispose();
        (await drain.WaitAsync(TimeSpan.FromSeconds(20)))!.Outcome.ShouldBe(DrainOutcome.Drained);
    }

    [Fact]
    public async Task A_key_that_is_too_short_stops_the_app_at_start_naming_the_key()
    {
        var failure = await Should.ThrowAsync<OptionsValidationException>(() => StartAsync(group => { }, apiKey: "short"));
        failure.Message.ShouldContain("Roadrunner:Admin:ApiKey: must be at least 8 characters");
    }

    private static readonly (HttpMethod Method, string Path)[] Routes =
    [
        (HttpMethod.Get, "/admin/listeners"),
        (HttpMethod.Get, "/admin/listeners/victim"),
        (HttpMethod.Post, "/admin/listeners"),
        (HttpMethod.Delete, "/admin/listeners/victim"),
        (HttpMethod.Post, "/admin/listeners/victim/drain"),
        (HttpMethod.Post, "/admin/listeners/victim/notify-drain"),
        (HttpMethod.Post, "/admin/listeners/victim/suspend"),
        (HttpMethod.Post, "/admin/listeners/victim/resume"),
        (HttpMethod.Get, "/admin/ui/"),
        (HttpMethod.Get, "/admin/ui/events"),
    ];

    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, HttpMethod method, string path, string? forwardedFor = null, string? apiKey = null, string? user = null)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        if (method == HttpMethod.Post && path == "/admin/listeners")
        {
            request.Content = new StringContent("""{"name":"sneaky"}""", System.Text.Encoding.UTF8, "application/json");
        }

        if (forwardedFor is not null)
        {
            request.Headers.Add("X-Forwarded-For", forwardedFor);
        }

        if (apiKey is not null)
        {
            request.Headers.Add("X-Api-Key", apiKey);
        }

        if (user is not null)
        {
            request.Headers.Add(TestUserHandler.Header, user);
        }

        return await client.SendAsync(request);
    }

    private static async Task<SecuredApp> StartAsync(Action<RouteGroupBuilder> secure, string? apiKey = null, bool authentication = false)
    {
        var configuration = new Dictionary<string, string?> { ["Roadrunner:Listeners:admin:Port"] = "0" };
        if (apiKey is not null)
        {
            configuration["Roadrunner:Admin:ApiKey"] = apiKey;
        }

        var app = await TestApp.StartAsync(
            configureBuilder: builder =>
            {
                builder.Services.AddProblemDetails();
                if (authentication)
                {
                    builder.Services.AddAuthentication(TestUserHandler.SchemeName).AddScheme<AuthenticationSchemeOptions, TestUserHandler>(TestUserHandler.SchemeName, null);
                    builder.Services.AddAuthorization();
                }
            },
            configureApp: web =>
            {
                // A reverse proxy on loopback passes the real client's address (the default KnownProxies is loopback).
                web.UseForwardedHeaders(new ForwardedHeadersOptions { ForwardedHeaders = ForwardedHeaders.XForwardedFor });
                if (authentication)
                {
                    web.UseAuthentication();
                    web.UseAuthorization();
                }

                secure(web.MapRoadrunnerAdmin());
                secure(web.MapRoadrunnerDashboard());
            },
            configuration: configuration);
        await app.Manager.StartAsync("victim", new ListenerOptions());
        return new SecuredApp(app, app.Manager.GetListener("admin")!.Url);
    }

    private sealed record SecuredApp(TestApp Test, Uri Url) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => Test.DisposeAsync();
    }

    /// <summary>Authenticates the user named in a header: enough to exercise authorization metadata on the group.</summary>
    private sealed class TestUserHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
        : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
    {
        public const string SchemeName = "TestUser";
        public const string Header = "X-Test-User";

        protected override Task<AuthenticateResult> HandleAuthenticateAsync()
        {
            if (Request.Headers[Header] is not [{ Length: > 0 } name])
            {
                return Task.FromResult(AuthenticateResult.NoResult());
            }

            var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, name)], SchemeName);
            return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
        }
    }
}
