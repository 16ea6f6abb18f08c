using System.Net;

namespace Roadrunner.AspNetCore.Tests.Example;

public sealed class AdminApiKeyTests
{
    private const string Key = "s3cret-Key_42";

    [Fact]
    public async Task With_a_configured_key_every_admin_request_without_the_right_key_is_401()
    {
        await using var app = ExampleApp.Start(apiKey: Key);

        using var anonymous = app.Admin();
        using var wrong = app.Admin("s3cret-Key_43");
        using var prefix = app.Admin("s3cret");
        foreach (var client in new[] { anonymous, wrong, prefix })
        {
            using (var list = await client.GetAsync(new Uri("/admin/listeners", UriKind.Relative)))
            {
                await list.ShouldBeProblemAsync(HttpStatusCode.Unauthorized);
                list.Headers.WwwAuthenticate.ShouldNotBeEmpty();
            }

            using (var get = await client.GetAsync(new Uri("/admin/listeners/nope", UriKind.Relative)))
            {
                await get.ShouldBeProblemAsync(HttpStatusCode.Unauthorized);
            }

            // Refused before the body is read: even malformed JSON gets a 401, not a 400.
            using (var create = await client.PostJsonAsync("/admin/listeners", """{"name":"""))
            {
                await create.ShouldBeProblemAsync(HttpStatusCode.Unauthorized);
            }

            using (var delete = await client.DeleteAsync(new Uri("/admin/listeners/public", UriKind.Relative)))
            {
                await delete.ShouldBeProblemAsync(HttpStatusCode.Unauthorized);
            }

            using (var drain = await client.PostAsync(new Uri("/admin/listeners/public/drain", UriKind.Relative), content: null))
            {
                await drain.ShouldBeProblemAsync(HttpStatusCode.Unauthorized);
            }

            using var notify = await client.PostAsync(new Uri("/admin/listeners/public/notify-drain", UriKind.Relative), content: null);
            await notify.ShouldBeProblemAsync(HttpStatusCode.Unauthorized);
        }

        using (var missing = await anonymous.GetAsync(new Uri("/admin/listeners", UriKind.Relative)))
        {
            (await missing.ShouldBeProblemAsync(HttpStatusCode.Unauthorized)).Detail().ShouldContain("X-Api-Key");
        }

        // Nothing was changed by the refused requests.
        app.Manager.Names.ShouldBe(["public", "admin"]);
        app.Manager.GetListener("public")!.Status.ShouldBe(ListenerStatus.Accepting);
    }

    [Fact]
    public async Task With_the_right_key_the_admin_api_answers_normally()
    {
        await using var app = ExampleApp.Start(apiKey: Key);
        using var admin = app.Admin(Key);

        using (var list = await admin.GetAsync(new Uri("/admin/listeners", UriKind.Relative)))
        {
            list.StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        await admin.CreateListenerAsync("keyed");
        using (var delete = await admin.DeleteAsync(new Uri("/admin/listeners/keyed", UriKind.Relative)))
        {
            delete.StatusCode.ShouldBe(HttpStatusCode.NoContent);
        }

        // Two X-Api-Key headers are not "the key", even if one of them is right.
        using var twice = new HttpRequestMessage(HttpMethod.Get, new Uri("/admin/listeners", UriKind.Relative));
        twice.Headers.Add("X-Api-Key", "other");
        using (var response = await admin.SendAsync(twice))
        {
            await response.ShouldBeProblemAsync(HttpStatusCode.Unauthorized);
        }

        // The key guards the admin API only: demo endpoints on other listeners need none.
        using var pub = ExampleApp.Client(app.PublicUrl);
        (await pub.GetStringAsync(new Uri("/", UriKind.Relative))).ShouldContain("listener=public");
    }

    [Fact]
    public async Task Without_a_configured_key_no_header_is_needed()
    {
        await using var app = ExampleApp.Start();
        using var admin = app.Admin();

        using var list = await admin.GetAsync(new Uri("/admin/listeners", UriKind.Relative));

        list.StatusCode.ShouldBe(HttpStatusCode.OK);
    }
}
