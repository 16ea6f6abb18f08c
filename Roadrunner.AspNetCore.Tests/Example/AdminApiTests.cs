using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Roadrunner.AspNetCore.Tests.Infrastructure;

namespace Roadrunner.AspNetCore.Tests.Example;

/// <summary>Every status code of the admin API contract, over real sockets.</summary>
public sealed class AdminApiTests
{
    private static readonly string[] ListenerFields =
        ["name", "address", "port", "scheme", "protocols", "status", "activeConnections", "maxConnections", "requestsServed", "rejected", "startedAt",
         "maxConnectionsBehavior", "maxRequestBodySize", "requestHeadersTimeoutMs", "keepAliveTimeoutMs", "maxRequestsPerConnection",
         "minRequestBodyDataRate", "maxConcurrentRequests", "rateLimit", "throttled", "rateLimited"];

    [Fact]
    public async Task List_is_200_with_every_listener_most_recent_first_and_the_documented_fields()
    {
        await using var app = ExampleApp.Start();
        using var admin = app.Admin();
        await admin.CreateListenerAsync("a");
        await admin.CreateListenerAsync("b", """ "maxConnections":100 """);

        using var response = await admin.GetAsync(new Uri("/admin/listeners", UriKind.Relative));

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.MediaType()!.MediaType.ShouldBe("application/json");
        var list = (await response.JsonAsync()).EnumerateArray().ToList();
        list.Select(l => l.GetProperty("name").GetString()).ShouldBe(["b", "a", "public", "admin"]);
        foreach (var listener in list)
        {
            listener.EnumerateObject().Select(p => p.Name).ShouldBe(ListenerFields);
            var info = app.Manager.GetListener(listener.GetProperty("name").GetString()!)!;
            listener.GetProperty("address").GetString().ShouldBe("127.0.0.1");
            listener.GetProperty("port").GetInt32().ShouldBe(info.EndPoint.Port);
            listener.GetProperty("port").GetInt32().ShouldBeGreaterThan(0);
            listener.GetProperty("scheme").GetString().ShouldBe("http");
            listener.GetProperty("protocols").GetString().ShouldBe("Http1");
            listener.GetProperty("status").GetString().ShouldBe("Accepting");
            listener.GetProperty("rejected").GetInt64().ShouldBe(0);
            listener.GetProperty("startedAt").GetDateTimeOffset().ShouldBe(info.StartedAt);
        }

        list[0].GetProperty("maxConnections").GetInt32().ShouldBe(100);
        list[1].GetProperty("maxConnections").ValueKind.ShouldBe(JsonValueKind.Null);

        // The admin listener counts this very request and connection.
        list[3].GetProperty("activeConnections").GetInt32().ShouldBeGreaterThanOrEqualTo(1);
        list[3].GetProperty("requestsServed").GetInt64().ShouldBeGreaterThanOrEqualTo(3);
    }

    [Fact]
    public async Task Get_is_200_with_the_listener_or_a_404_problem()
    {
        await using var app = ExampleApp.Start();
        using var admin = app.Admin();

        using (var response = await admin.GetAsync(new Uri("/admin/listeners/public", UriKind.Relative)))
        {
            response.StatusCode.ShouldBe(HttpStatusCode.OK);
            var listener = await response.JsonAsync();
            listener.GetProperty("name").GetString().ShouldBe("public");
            listener.GetProperty("port").GetInt32().ShouldBe(app.PublicUrl.Port);
        }

        using (var response = await admin.GetAsync(new Uri("/admin/listeners/nope", UriKind.Relative)))
        {
            (await response.ShouldBeProblemAsync(HttpStatusCode.NotFound)).Detail().ShouldContain("'nope'");
        }
    }

    [Fact]
    public async Task Create_is_201_with_a_location_and_the_new_listener_serves_at_once()
    {
        await using var app = ExampleApp.Start();
        using var admin = app.Admin();

        using var response = await admin.PostJsonAsync(
            "/admin/listeners",
            """{"name":"t1","port":0,"address":"127.0.0.1","protocols":"Http1","maxConnections":100}""");

        response.StatusCode.ShouldBe(HttpStatusCode.Created);
        response.Headers.Location!.OriginalString.ShouldBe("/admin/listeners/t1");
        var created = await response.JsonAsync();
        created.EnumerateObject().Select(p => p.Name).ShouldBe(ListenerFields);
        created.GetProperty("name").GetString().ShouldBe("t1");
        created.GetProperty("port").GetInt32().ShouldBe(app.Manager.GetListener("t1")!.EndPoint.Port);
        created.GetProperty("maxConnections").GetInt32().ShouldBe(100);
        created.GetProperty("status").GetString().ShouldBe("Accepting");

        using var client = ExampleApp.Client(ExampleHttp.UrlOf(created));
        (await client.GetStringAsync(new Uri("/", UriKind.Relative))).ShouldContain("listener=t1");

        using var location = await admin.GetAsync(response.Headers.Location);
        location.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await location.JsonAsync()).GetProperty("name").GetString().ShouldBe("t1");

        // Optional fields default: port 0 (a free port), 127.0.0.1, Http1, no cap. Enums are strings both ways.
        var h2 = await admin.CreateListenerAsync("h2", """ "protocols":"Http2" """);
        h2.GetProperty("protocols").GetString().ShouldBe("Http2");
        h2.GetProperty("address").GetString().ShouldBe("127.0.0.1");
        h2.GetProperty("port").GetInt32().ShouldBeGreaterThan(0);
        h2.GetProperty("maxConnections").ValueKind.ShouldBe(JsonValueKind.Null);
    }

    [Fact]
    public async Task Create_rejects_malformed_json_and_invalid_options_with_a_400_whose_detail_names_the_field()
    {
        await using var app = ExampleApp.Start();
        using var admin = app.Admin();
        var longName = new string('n', 65);

        (string Body, string Field)[] cases =
        [
            ("""{"name":"t1",""", "body"),
            ("not json", "body"),
            ("[1,2]", "body"),
            ("{}", "name"),
            ("""{"name":""}""", "name"),
            ("""{"name":42}""", "name"),
            ("""{"name":"a b"}""", "name"),
            ("""{"name":"t1/x"}""", "name"),
            ("""{"name":"t1\n"}""", "name"),
            ($$"""{"name":"{{longName}}"}""", "name"),
            ("""{"name":"t1","port":70000}""", "port"),
            ("""{"name":"t1","port":-1}""", "port"),
            ("""{"name":"t1","port":"abc"}""", "port"),
            ("""{"name":"t1","protocols":"Http3"}""", "protocols"),
            ("""{"name":"t1","protocols":1}""", "protocols"),
            ("""{"name":"t1","protocols":"Http1AndHttp2"}""", "protocols"),
            ("""{"name":"t1","address":"localhost"}""", "address"),
            ("""{"name":"t1","address":"203.0.113.7"}""", "address"),
            ("""{"name":"t1","maxConnections":0}""", "maxConnections"),
            ("""{"name":"t1","certificatePath":"/nonexistent/server.pfx","certificatePassword":"pw"}""", "certificatePath"),
            ("""{"name":"t1","certificatePassword":"pw"}""", "certificatePassword"),
            ("""{"name":"t1","prot":"Http1"}""", "prot"),
        ];

        foreach (var (body, field) in cases)
        {
            using var response = await admin.PostJsonAsync("/admin/listeners", body);
            var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest);
            problem.Detail().ShouldStartWith($"{field}:", customMessage: body);
            problem.GetProperty("errors").TryGetProperty(field, out _).ShouldBeTrue(body);
        }

        using (var response = await admin.PostJsonAsync("/admin/listeners", """{"name":"t1","port":70000}"""))
        {
            (await response.JsonAsync()).Detail().ShouldContain("between 0 and 65535 (got 70000)");
        }

        app.Manager.Names.ShouldBe(["public", "admin"]);
    }

    [Fact]
    public async Task Create_with_a_name_that_exists_is_409_and_the_first_listener_is_untouched()
    {
        await using var app = ExampleApp.Start();
        using var admin = app.Admin();
        var first = await admin.CreateListenerAsync("dup");

        using var response = await admin.PostJsonAsync("/admin/listeners", """{"name":"dup"}""");

        (await response.ShouldBeProblemAsync(HttpStatusCode.Conflict)).Detail().ShouldContain("'dup' already exists");
        using var client = ExampleApp.Client(ExampleHttp.UrlOf(first));
        (await client.GetStringAsync(new Uri("/", UriKind.Relative))).ShouldContain("listener=dup");

        // Names are case-insensitive, like configuration keys.
        using var upper = await admin.PostJsonAsync("/admin/listeners", """{"name":"DUP"}""");
        await upper.ShouldBeProblemAsync(HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task Create_on_a_port_held_by_another_socket_is_409_and_leaves_nothing_behind()
    {
        await using var app = ExampleApp.Start();
        using var admin = app.Admin();
        using var holder = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        holder.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        holder.Listen();
        var port = ((IPEndPoint)holder.LocalEndPoint!).Port;

        using var response = await admin.PostJsonAsync("/admin/listeners", $$"""{"name":"busy","port":{{port}}}""");

        (await response.ShouldBeProblemAsync(HttpStatusCode.Conflict)).Detail().ShouldContain("already in use");
        app.Manager.GetListener("busy").ShouldBeNull();

        // Once the port is free the same request succeeds: the failed attempt kept neither the name nor a socket.
        holder.Close();
        var created = await admin.CreateListenerAsync("busy", $$""" "port":{{port}} """);
        created.GetProperty("port").GetInt32().ShouldBe(port);
    }

    [Fact]
    public async Task Create_with_a_pfx_certificate_serves_https_and_a_wrong_password_is_400()
    {
        await using var app = ExampleApp.Start();
        using var admin = app.Admin();
        var pfx = Path.Combine(Path.GetTempPath(), $"roadrunner-example-{Guid.NewGuid():N}.pfx");
        byte[] thumbprint;
        using (var certificate = CreateCertificate())
        {
            await File.WriteAllBytesAsync(pfx, certificate.Export(X509ContentType.Pfx, "secret"));
            thumbprint = certificate.GetCertHash();
        }

        try
        {
            var pfxJson = JsonSerializer.Serialize(pfx);
            using (var wrong = await admin.PostJsonAsync("/admin/listeners", $$"""{"name":"tls","certificatePath":{{pfxJson}},"certificatePassword":"nope"}"""))
            {
                (await wrong.ShouldBeProblemAsync(HttpStatusCode.BadRequest)).Detail().ShouldStartWith("certificatePath:");
            }

            var created = await admin.CreateListenerAsync("tls", $$""" "certificatePath":{{pfxJson}},"certificatePassword":"secret","protocols":"Http1AndHttp2" """);
            created.GetProperty("scheme").GetString().ShouldBe("https");
            created.GetProperty("protocols").GetString().ShouldBe("Http1AndHttp2");

            byte[]? seen = null;
            using var handler = new SocketsHttpHandler
            {
                SslOptions = new SslClientAuthenticationOptions
                {
                    RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                    {
                        seen = certificate?.GetCertHash();
                        return true;
                    },
                },
            };
            using var client = new HttpClient(handler) { BaseAddress = ExampleHttp.UrlOf(created) };
            (await client.GetStringAsync(new Uri("/", UriKind.Relative))).ShouldContain("listener=tls");
            seen.ShouldBe(thumbprint);
        }
        finally
        {
            File.Delete(pfx);
        }
    }

    [Fact]
    public async Task Wrong_content_type_is_415_a_huge_body_is_413_and_the_app_keeps_serving()
    {
        await using var app = ExampleApp.Start();
        using var admin = app.Admin();

        using (var response = await admin.PostJsonAsync("/admin/listeners", """{"name":"t1"}""", "text/plain"))
        {
            (await response.ShouldBeProblemAsync(HttpStatusCode.UnsupportedMediaType)).Detail().ShouldContain("application/json");
        }

        using (var response = await admin.PostAsync(new Uri("/admin/listeners", UriKind.Relative), new ByteArrayContent("""{"name":"t1"}"""u8.ToArray())))
        {
            await response.ShouldBeProblemAsync(HttpStatusCode.UnsupportedMediaType);
        }

        var huge = $$"""{"name":"t1","certificatePassword":"{{new string('x', 1024 * 1024)}}"}""";
        using (var response = await admin.PostJsonAsync("/admin/listeners", huge))
        {
            (await response.ShouldBeProblemAsync(HttpStatusCode.RequestEntityTooLarge)).Detail().ShouldContain("65536");
        }

        // The same size without Content-Length (chunked) is refused as well.
        using (var chunked = new HttpRequestMessage(HttpMethod.Post, new Uri("/admin/listeners", UriKind.Relative)))
        {
            chunked.Content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(huge)));
            chunked.Content.Headers.ContentType = new("application/json");
            chunked.Headers.TransferEncodingChunked = true;
            using var response = await admin.SendAsync(chunked);
            await response.ShouldBeProblemAsync(HttpStatusCode.RequestEntityTooLarge);
        }

        app.Manager.GetListener("t1").ShouldBeNull();
        using var fresh = app.Admin();
        await fresh.CreateListenerAsync("t1");
        (await fresh.ListNamesAsync()).ShouldBe(["t1", "public", "admin"]);
    }

    [Fact]
    public async Task Delete_is_204_then_404_and_the_port_refuses_connections()
    {
        await using var app = ExampleApp.Start();
        using var admin = app.Admin();
        var created = await admin.CreateListenerAsync("gone");
        var url = ExampleHttp.UrlOf(created);

        using (var response = await admin.DeleteAsync(new Uri("/admin/listeners/gone", UriKind.Relative)))
        {
            response.StatusCode.ShouldBe(HttpStatusCode.NoContent);
        }

        using (var response = await admin.DeleteAsync(new Uri("/admin/listeners/gone", UriKind.Relative)))
        {
            (await response.ShouldBeProblemAsync(HttpStatusCode.NotFound)).Detail().ShouldContain("'gone'");
        }

        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var refused = await Should.ThrowAsync<SocketException>(() => probe.ConnectAsync(IPAddress.Loopback, url.Port));
        refused.SocketErrorCode.ShouldBe(SocketError.ConnectionRefused);
        (await admin.ListNamesAsync()).ShouldBe(["public", "admin"]);
    }

    [Fact]
    public async Task Drain_and_notify_drain_are_404_for_unknown_listeners_and_400_for_out_of_range_times()
    {
        await using var app = ExampleApp.Start();
        using var admin = app.Admin();

        foreach (var path in new[] { "/admin/listeners/nope/drain", "/admin/listeners/nope/notify-drain" })
        {
            using var empty = await admin.PostAsync(new Uri(path, UriKind.Relative), content: null);
            (await empty.ShouldBeProblemAsync(HttpStatusCode.NotFound)).Detail().ShouldContain("'nope'");
        }

        (string Path, string Body, string Field)[] invalid =
        [
            ("/admin/listeners/public/drain", """{"timeoutMs":-1}""", "timeoutMs"),
            ("/admin/listeners/public/drain", """{"timeoutMs":600001}""", "timeoutMs"),
            ("/admin/listeners/public/drain", """{"timeoutMs":"soon"}""", "timeoutMs"),
            ("/admin/listeners/public/drain", """{"timeout":5}""", "timeout"),
            ("/admin/listeners/public/drain", """{"timeoutMs":""", "timeoutMs"),
            ("/admin/listeners/public/drain", """[]""", "body"),
            ("/admin/listeners/public/notify-drain", """{"deadlineMs":-5}""", "deadlineMs"),
            ("/admin/listeners/public/notify-drain", """{"deadlineMs":600001}""", "deadlineMs"),
        ];
        foreach (var (path, body, field) in invalid)
        {
            using var response = await admin.PostJsonAsync(path, body);
            (await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest)).Detail().ShouldStartWith($"{field}:", customMessage: body);
        }

        // None of those touched the listener.
        app.Manager.GetListener("public")!.Status.ShouldBe(ListenerStatus.Accepting);
    }

    [Fact]
    public async Task Drain_without_a_body_uses_the_default_and_answers_200_with_the_result()
    {
        await using var app = ExampleApp.Start();
        using var admin = app.Admin();
        await admin.CreateListenerAsync("idle");

        using var response = await admin.PostAsync(new Uri("/admin/listeners/idle/drain", UriKind.Relative), content: null);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var result = await response.JsonAsync();
        result.EnumerateObject().Select(p => p.Name).ShouldBe(["outcome", "graceful", "aborted", "acknowledged", "elapsedMs"]);
        result.GetProperty("outcome").GetString().ShouldBe("Drained");
        result.GetProperty("aborted").GetInt32().ShouldBe(0);
        result.GetProperty("elapsedMs").GetInt64().ShouldBeLessThan(30_000);
        (await admin.ListNamesAsync()).ShouldNotContain("idle");

        using var again = await admin.PostAsync(new Uri("/admin/listeners/idle/drain", UriKind.Relative), content: null);
        await again.ShouldBeProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Notify_drain_is_202_ends_a_pending_long_poll_with_503_and_retry_after_and_the_listener_keeps_accepting()
    {
        await using var app = ExampleApp.Start();
        using var admin = app.Admin();
        var created = await admin.CreateListenerAsync("soft");
        using var client = ExampleApp.Client(ExampleHttp.UrlOf(created));

        var longPoll = client.GetAsync(new Uri("/longpoll?ms=60000", UriKind.Relative));
        (await Net.EventuallyAsync(() => app.Manager.GetListener("soft")!.RequestsServed >= 1, TimeSpan.FromSeconds(10))).ShouldBeTrue();

        using (var response = await admin.PostJsonAsync("/admin/listeners/soft/notify-drain", """{"deadlineMs":5000}"""))
        {
            response.StatusCode.ShouldBe(HttpStatusCode.Accepted);
            var body = await response.JsonAsync();
            body.GetProperty("name").GetString().ShouldBe("soft");
            body.GetProperty("deadline").GetDateTimeOffset().ShouldBeInRange(DateTimeOffset.UtcNow.AddSeconds(3), DateTimeOffset.UtcNow.AddSeconds(6));
        }

        using (var answered = await longPoll.WaitAsync(TimeSpan.FromSeconds(10)))
        {
            answered.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
            answered.Headers.RetryAfter.ShouldNotBeNull();
            answered.Headers.RetryAfter!.Delta!.Value.ShouldBeGreaterThanOrEqualTo(TimeSpan.FromSeconds(1));
        }

        // Still accepting: a new long-poll has a fresh signal and completes normally.
        app.Manager.GetListener("soft")!.Status.ShouldBe(ListenerStatus.Accepting);
        using var fresh = ExampleApp.Client(ExampleHttp.UrlOf(created));
        using (var next = await fresh.GetAsync(new Uri("/longpoll?ms=50", UriKind.Relative)))
        {
            next.StatusCode.ShouldBe(HttpStatusCode.NoContent);
        }

        using var emptyBody = await admin.PostAsync(new Uri("/admin/listeners/soft/notify-drain", UriKind.Relative), content: null);
        emptyBody.StatusCode.ShouldBe(HttpStatusCode.Accepted);
    }

    [Fact]
    public async Task The_admin_api_is_404_on_every_listener_but_admin()
    {
        await using var app = ExampleApp.Start();
        using var admin = app.Admin();
        var other = await admin.CreateListenerAsync("other");

        foreach (var url in new[] { app.PublicUrl, ExampleHttp.UrlOf(other), app.PlainUrl })
        {
            using var client = ExampleApp.Client(url);
            using (var list = await client.GetAsync(new Uri("/admin/listeners", UriKind.Relative)))
            {
                (await list.ShouldBeProblemAsync(HttpStatusCode.NotFound)).Detail().ShouldContain("'admin' listener");
            }

            using (var get = await client.GetAsync(new Uri("/admin/listeners/public", UriKind.Relative)))
            {
                await get.ShouldBeProblemAsync(HttpStatusCode.NotFound);
            }

            using (var create = await client.PostJsonAsync("/admin/listeners", """{"name":"sneaky"}"""))
            {
                await create.ShouldBeProblemAsync(HttpStatusCode.NotFound);
            }

            using var delete = await client.DeleteAsync(new Uri("/admin/listeners/admin", UriKind.Relative));
            await delete.ShouldBeProblemAsync(HttpStatusCode.NotFound);
        }

        (await admin.ListNamesAsync()).ShouldBe(["other", "public", "admin"]);
    }

    [Fact]
    public async Task Odd_names_in_the_path_are_404_problems_and_the_api_keeps_working()
    {
        await using var app = ExampleApp.Start();
        using var admin = app.Admin();
        string[] paths =
        [
            "/admin/listeners/a%20b",
            "/admin/listeners/..%2Fadmin",
            "/admin/listeners/%E2%98%83",
            "/admin/listeners/" + new string('x', 4000),
            "/admin/listeners/%0D%0AX-Injected:%201",
            "/admin/listeners/admin%00",
        ];

        foreach (var path in paths)
        {
            foreach (var method in new[] { HttpMethod.Get, HttpMethod.Delete, HttpMethod.Post })
            {
                using var request = new HttpRequestMessage(method, new Uri(method == HttpMethod.Post ? path + "/drain" : path, UriKind.Relative));
                using var response = await admin.SendAsync(request);
                response.Headers.Contains("X-Injected").ShouldBeFalse();
                if (path.EndsWith("%00", StringComparison.Ordinal))
                {
                    // Kestrel itself refuses a NUL in the path, before the app sees the request.
                    response.StatusCode.ShouldBe(HttpStatusCode.BadRequest, path);
                }
                else
                {
                    await response.ShouldBeProblemAsync(HttpStatusCode.NotFound);
                }
            }
        }

        (await admin.ListNamesAsync()).ShouldBe(["public", "admin"]);
    }

    [Fact]
    public async Task Draining_the_admin_listener_through_itself_answers_202_and_the_drain_completes()
    {
        await using var app = ExampleApp.Start();
        using var admin = app.Admin();

        using var response = await admin.PostJsonAsync("/admin/listeners/admin/drain", """{"timeoutMs":5000}""");

        response.StatusCode.ShouldBe(HttpStatusCode.Accepted);
        (await response.JsonAsync()).GetProperty("name").GetString().ShouldBe("admin");
        (await Net.EventuallyAsync(() => app.Manager.GetListener("admin") is null, TimeSpan.FromSeconds(4))).ShouldBeTrue("the drain of admin should end well before its 5 s deadline");
        app.Manager.Names.ShouldBe(["public"]);
    }

    private static X509Certificate2 CreateCertificate()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=roadrunner-example-test", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(7));
    }
}
