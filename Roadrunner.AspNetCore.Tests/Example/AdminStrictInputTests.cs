using System.Net;
using System.Text;

namespace Roadrunner.AspNetCore.Tests.Example;

/// <summary>
/// The admin API reads UTF-8 JSON strictly: what a client did not mean is a 4xx problem naming the field, never a guess
/// and never a 500. Each case here was a 500 or was accepted before.
/// </summary>
public sealed class AdminStrictInputTests
{
    [Fact]
    public async Task A_utf16_charset_is_415_whatever_the_length_of_the_body()
    {
        await using var app = ExampleApp.Start();
        using var admin = app.Admin();

        // Before: an odd byte count was a 500 (DecoderFallbackException), an even one a 400 about '0xE2'.
        foreach (var body in new[] { """{"name":"ab"}""", """{"name":"abc"}""", """{"name":"é"}""" })
        {
            foreach (var charset in new[] { "utf-16", "UTF-16LE", "unicode", "utf-32", "latin1" })
            {
                using var response = await admin.PostRawAsync("/admin/listeners", Encoding.UTF8.GetBytes(body), $"application/json; charset={charset}");
                (await response.ShouldBeProblemAsync(HttpStatusCode.UnsupportedMediaType)).Detail().ShouldContain("UTF-8");
            }
        }

        (await admin.ListNamesAsync()).ShouldBe(["public", "admin"]);
    }

    [Fact]
    public async Task Content_types_that_made_the_framework_throw_are_415_problems()
    {
        await using var app = ExampleApp.Start();
        using var admin = app.Admin();

        (string ContentType, string Body)[] cases =
        [
            ("application/json; charset=", """{"name":"t1"}"""), // Before: 500 from MVC's media type parser.
            ("application/json; charset=\"\"", """{"name":"t1"}"""),
            ("application/json; charset=utf-8; charset=utf-16", """{"name":"t1"}"""),
            ("application/x-www-form-urlencoded", "a[b=1"), // Before: 500 from the jQuery form value provider.
            ("multipart/form-data; boundary=x", "--x--"),
            ("application/*+json", """{"name":"t1"}"""),
        ];
        foreach (var (contentType, body) in cases)
        {
            foreach (var path in new[] { "/admin/listeners", "/admin/listeners/public/drain", "/admin/listeners/public/notify-drain" })
            {
                using var response = await admin.PostRawAsync(path, Encoding.UTF8.GetBytes(body), contentType);
                await response.ShouldBeProblemAsync(HttpStatusCode.UnsupportedMediaType);
            }
        }

        (await admin.ListNamesAsync()).ShouldBe(["public", "admin"]);
        app.Manager.GetListener("public")!.Status.ShouldBe(ListenerStatus.Accepting);
    }

    [Fact]
    public async Task Utf8_named_in_any_case_or_quoted_and_json_suffix_media_types_are_accepted()
    {
        await using var app = ExampleApp.Start();
        using var admin = app.Admin();

        string[] contentTypes = ["application/json; charset=UTF-8", "application/json; charset=\"utf-8\"", "application/json;charset=utf-8", "text/json", "application/problem+json"];
        for (var i = 0; i < contentTypes.Length; i++)
        {
            using var response = await admin.PostRawAsync("/admin/listeners", Encoding.UTF8.GetBytes($$"""{"name":"ok{{i}}"}"""), contentTypes[i]);
            response.StatusCode.ShouldBe(HttpStatusCode.Created, contentTypes[i]);
        }
    }

    [Fact]
    public async Task A_field_given_twice_is_400_naming_it_also_in_another_case_and_nothing_is_created()
    {
        await using var app = ExampleApp.Start();
        using var admin = app.Admin();

        (string Path, string Body, string Field)[] cases =
        [
            ("/admin/listeners", """{"name":"a","name":"b"}""", "name"), // Before: created 'b'.
            ("/admin/listeners", """{"name":"g","Name":"h"}""", "name"), // Before: created 'h'.
            ("/admin/listeners", """{"name":"c","port":0,"port":0}""", "port"),
            ("/admin/listeners/public/drain", """{"timeoutMs":1,"timeoutMs":2}""", "timeoutMs"),
            ("/admin/listeners/public/notify-drain", """{"deadlineMs":1,"DEADLINEMS":2}""", "deadlineMs"),
        ];
        foreach (var (path, body, field) in cases)
        {
            using var response = await admin.PostJsonAsync(path, body);
            var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest);
            problem.Detail().ShouldBe($"{field}: appears more than once; give each field once.", customMessage: body);
            problem.GetProperty("errors").TryGetProperty(field, out _).ShouldBeTrue(body);
        }

        (await admin.ListNamesAsync()).ShouldBe(["public", "admin"]);
        app.Manager.GetListener("public")!.Status.ShouldBe(ListenerStatus.Accepting);
    }

    [Fact]
    public async Task A_number_in_a_string_is_400_naming_the_field_and_nothing_is_started_or_drained()
    {
        await using var app = ExampleApp.Start();
        using var admin = app.Admin();
        await admin.CreateListenerAsync("victim");

        (string Path, string Body, string Field)[] cases =
        [
            ("/admin/listeners", """{"name":"c","port":"0"}""", "port"), // Before: created 'c'.
            ("/admin/listeners", """{"name":"c","maxConnections":"5"}""", "maxConnections"),
            ("/admin/listeners/victim/drain", """{"timeoutMs":"100"}""", "timeoutMs"), // Before: drained 'victim'.
            ("/admin/listeners/victim/notify-drain", """{"deadlineMs":"100"}""", "deadlineMs"),
        ];
        foreach (var (path, body, field) in cases)
        {
            using var response = await admin.PostJsonAsync(path, body);
            (await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest)).Detail().ShouldStartWith($"{field}: must be a", customMessage: body);
        }

        (await admin.ListNamesAsync()).ShouldBe(["victim", "public", "admin"]);
        app.Manager.GetListener("victim")!.Status.ShouldBe(ListenerStatus.Accepting);
    }

    [Fact]
    public async Task Protocols_is_one_of_the_names_not_padded_text_a_list_or_a_number()
    {
        await using var app = ExampleApp.Start();
        using var admin = app.Admin();

        foreach (var protocols in new[] { "\" Http2\"", "\"Http1, Http2\"", "\"1\"", "1", "\"Http2,\"" })
        {
            using var response = await admin.PostJsonAsync("/admin/listeners", $$"""{"name":"t1","protocols":{{protocols}}}""");
            (await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest)).Detail().ShouldStartWith("protocols: must be one of", customMessage: protocols);
        }

        // Names are read case-insensitively and written as declared.
        (await admin.CreateListenerAsync("t1", """ "protocols":"http2" """)).GetProperty("protocols").GetString().ShouldBe("Http2");
    }
}
