using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Roadrunner.AspNetCore.Tests.Infrastructure;
using Roadrunner.AspNetCore.Tests.ProxyProtocol;

namespace Roadrunner.AspNetCore.Tests.Example;

/// <summary>
/// The admin API's limit, PROXY protocol, Unix socket and TLS fields, <c>PATCH /admin/listeners/{name}</c> and
/// <c>POST /admin/listeners/{name}/certificate</c>, through the example app over real sockets.
/// </summary>
public sealed class AdminListenerChangesTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);
    private readonly string _folder = Directory.CreateTempSubdirectory("rr-admin-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task Create_with_every_limit_and_proxy_field_is_201_and_the_object_shows_them()
    {
        await using var app = ExampleApp.Start();
        using var admin = app.Admin();

        var created = await admin.CreateListenerAsync("limits", """
            "maxConnections":10,"maxConnectionsBehavior":"ServiceUnavailable","maxRequestBodySize":1048576,
            "requestHeadersTimeoutMs":5000,"keepAliveTimeoutMs":7000,"maxRequestsPerConnection":3,
            "minRequestBodyDataRate":{"bytesPerSecond":100,"gracePeriodMs":3000},"maxConcurrentRequests":4,
            "rateLimit":{"permitsPerSecond":50,"burst":60},"proxyProtocol":"V1","trustedProxies":["127.0.0.1","10.0.0.0/8"]
            """);

        created.GetProperty("maxConnections").GetInt32().ShouldBe(10);
        created.GetProperty("maxConnectionsBehavior").GetString().ShouldBe("ServiceUnavailable");
        created.GetProperty("maxRequestBodySize").GetInt64().ShouldBe(1_048_576);
        created.GetProperty("requestHeadersTimeoutMs").GetInt64().ShouldBe(5000);
        created.GetProperty("keepAliveTimeoutMs").GetInt64().ShouldBe(7000);
        created.GetProperty("maxRequestsPerConnection").GetInt32().ShouldBe(3);
        created.GetProperty("minRequestBodyDataRate").GetProperty("bytesPerSecond").GetDouble().ShouldBe(100);
        created.GetProperty("minRequestBodyDataRate").GetProperty("gracePeriodMs").GetInt64().ShouldBe(3000);
        created.GetProperty("maxConcurrentRequests").GetInt32().ShouldBe(4);
        created.GetProperty("rateLimit").GetProperty("permitsPerSecond").GetInt32().ShouldBe(50);
        created.GetProperty("rateLimit").GetProperty("burst").GetInt32().ShouldBe(60);
        created.GetProperty("throttled").GetInt64().ShouldBe(0);
        created.GetProperty("rateLimited").GetInt64().ShouldBe(0);
        created.GetProperty("proxyProtocol").GetString().ShouldBe("V1");
        created.GetProperty("trustedProxies").EnumerateArray().Select(p => p.GetString()).ShouldBe(["127.0.0.1", "10.0.0.0/8"]);
        created.TryGetProperty("clientCertificateMode", out _).ShouldBeFalse("plaintext listeners have no client certificate mode");

        // The library got exactly these options: GET shows the same, and the running listener enforces the body limit.
        var info = app.Manager.GetListener("limits")!;
        info.MaxRequestBodySize.ShouldBe(1_048_576);
        info.RequestHeadersTimeout.ShouldBe(TimeSpan.FromSeconds(5));
        info.TrustedProxies.ShouldBe(["127.0.0.1", "10.0.0.0/8"]);

        var pem = new TestPfx(_folder);
        var tls = await admin.CreateListenerAsync("mtls", $$""" "certificatePath":{{pem.PfxJson}},"certificatePassword":"secret","clientCertificateMode":"AllowCertificate" """);
        tls.GetProperty("clientCertificateMode").GetString().ShouldBe("AllowCertificate");
        tls.GetProperty("certificate").GetProperty("thumbprint").GetString().ShouldBe(pem.Thumbprint);
        tls.TryGetProperty("trustedProxies", out _).ShouldBeFalse("null trustedProxies are left out");
    }

    [Fact]
    public async Task Create_with_an_invalid_value_of_each_new_field_is_400_naming_it_and_starts_nothing()
    {
        await using var app = ExampleApp.Start();
        using var admin = app.Admin();

        (string Extra, string Field)[] cases =
        [
            ("\"maxRequestBodySize\":-1", "maxRequestBodySize"),
            ("\"maxRequestBodySize\":\"big\"", "maxRequestBodySize"),
            ("\"requestHeadersTimeoutMs\":500", "requestHeadersTimeoutMs"),
            ("\"requestHeadersTimeoutMs\":-5", "requestHeadersTimeoutMs"),
            ("\"keepAliveTimeoutMs\":0", "keepAliveTimeoutMs"),
            ("\"keepAliveTimeoutMs\":99999999999", "keepAliveTimeoutMs"),
            ("\"maxRequestsPerConnection\":0", "maxRequestsPerConnection"),
            ("\"minRequestBodyDataRate\":{\"bytesPerSecond\":0,\"gracePeriodMs\":3000}", "minRequestBodyDataRate.bytesPerSecond"),
            ("\"minRequestBodyDataRate\":{\"bytesPerSecond\":100,\"gracePeriodMs\":500}", "minRequestBodyDataRate.gracePeriodMs"),
            ("\"minRequestBodyDataRate\":{\"bytesPerSecond\":100}", "minRequestBodyDataRate.gracePeriodMs"),
            ("\"minRequestBodyDataRate\":{\"bytesPerSecond\":100,\"gracePeriodMs\":3000,\"x\":1}", "minRequestBodyDataRate.x"),
            ("\"minRequestBodyDataRate\":5", "minRequestBodyDataRate"),
            ("\"maxConcurrentRequests\":0", "maxConcurrentRequests"),
            ("\"rateLimit\":{\"permitsPerSecond\":0,\"burst\":5}", "rateLimit.permitsPerSecond"),
            ("\"rateLimit\":{\"permitsPerSecond\":5,\"burst\":0}", "rateLimit.burst"),
            ("\"rateLimit\":{\"permitsPerSecond\":5}", "rateLimit.burst"),
            ("\"rateLimit\":{\"permitsPerSecond\":\"5\",\"burst\":5}", "rateLimit.permitsPerSecond"),
            ("\"maxConnectionsBehavior\":\"Queue\"", "maxConnectionsBehavior"),
            ("\"maxConnectionsBehavior\":1", "maxConnectionsBehavior"),
            ("\"maxConnectionsBehavior\":\"Backlog\"", "maxConnectionsBehavior"),
            ("\"proxyProtocol\":\"V3\"", "proxyProtocol"),
            ("\"proxyProtocol\":\"1\"", "proxyProtocol"),
            ("\"proxyProtocol\":\"Any\",\"trustedProxies\":[\"not-an-ip\"]", "trustedProxies[0]"),
            ("\"proxyProtocol\":\"V1\",\"trustedProxies\":[\"127.0.0.1\",\"10.0.0.0/99\"]", "trustedProxies[1]"),
            ("\"trustedProxies\":[\"127.0.0.1\"]", "trustedProxies"),
            ("\"trustedProxies\":\"127.0.0.1\"", "trustedProxies"),
            ("\"clientCertificateMode\":\"RequireCertificate\"", "clientCertificateMode"),
            ("\"clientCertificateMode\":\"Maybe\"", "clientCertificateMode"),
            ("\"address\":\"unix:relative.sock\"", "address"),
            ("\"certificateKeyPath\":\"/x.key\"", "certificateKeyPath"),
        ];

        foreach (var (extra, field) in cases)
        {
            var body = $$"""{"name":"bad",{{extra}}}""";
            using var response = await admin.PostJsonAsync("/admin/listeners", body);
            response.StatusCode.ShouldBe(HttpStatusCode.BadRequest, body);
            var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest);
            problem.Detail().ShouldStartWith($"{field}:", customMessage: body);
            problem.GetProperty("errors").TryGetProperty(field, out _).ShouldBeTrue(body);
        }

        app.Manager.Names.ShouldBe(["public", "admin"]);
    }

    [Fact]
    public async Task Patch_lowering_max_concurrent_requests_refuses_the_next_request_over_it_with_503()
    {
        await using var app = ExampleApp.Start();
        using var admin = app.Admin();
        var created = await admin.CreateListenerAsync("busy", "\"maxConcurrentRequests\":3");
        using var held = ExampleApp.Client(ExampleHttp.UrlOf(created));
        using var probe = ExampleApp.Client(ExampleHttp.UrlOf(created));
        using var release = new CancellationTokenSource();

        // One request stays in flight until the test lets it go.
        var slow = held.GetAsync(new Uri("/slow?ms=60000", UriKind.Relative), release.Token);
        (await Net.EventuallyAsync(() => app.Manager.GetListener("busy")!.RequestsServed >= 1, Bound)).ShouldBeTrue();
        using (var under = await probe.GetAsync(new Uri("/", UriKind.Relative)))
        {
            under.StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        using (var patch = await admin.PatchJsonAsync("/admin/listeners/busy", """{"maxConcurrentRequests":1}"""))
        {
            patch.StatusCode.ShouldBe(HttpStatusCode.OK, await patch.Content.ReadAsStringAsync());
            var updated = await patch.JsonAsync();
            updated.GetProperty("name").GetString().ShouldBe("busy");
            updated.GetProperty("maxConcurrentRequests").GetInt32().ShouldBe(1);
            updated.GetProperty("port").GetInt32().ShouldBe(created.GetProperty("port").GetInt32());
        }

        using (var over = await probe.GetAsync(new Uri("/", UriKind.Relative)))
        {
            over.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
            over.Headers.RetryAfter.ShouldNotBeNull();
        }

        (await admin.GetListenerJsonAsync("busy")).GetProperty("throttled").GetInt64().ShouldBe(1);
        await release.CancelAsync();
        await Should.ThrowAsync<OperationCanceledException>(() => slow);
    }

    [Fact]
    public async Task Patch_sets_clears_and_keeps_fields_as_a_merge_patch()
    {
        await using var app = ExampleApp.Start();
        using var admin = app.Admin();
        await admin.CreateListenerAsync("merge", """ "maxConnections":5,"maxRequestBodySize":1000,"rateLimit":{"permitsPerSecond":5,"burst":5} """);

        using (var patch = await admin.PatchJsonAsync("/admin/listeners/merge", """{"maxRequestBodySize":null,"keepAliveTimeoutMs":4000,"minRequestBodyDataRate":{"bytesPerSecond":50,"gracePeriodMs":2000}}"""))
        {
            patch.StatusCode.ShouldBe(HttpStatusCode.OK, await patch.Content.ReadAsStringAsync());
            var updated = await patch.JsonAsync();
            updated.GetProperty("maxRequestBodySize").ValueKind.ShouldBe(JsonValueKind.Null);
            updated.GetProperty("keepAliveTimeoutMs").GetInt64().ShouldBe(4000);
            updated.GetProperty("minRequestBodyDataRate").GetProperty("gracePeriodMs").GetInt64().ShouldBe(2000);

            // Absent fields keep their values.
            updated.GetProperty("maxConnections").GetInt32().ShouldBe(5);
            updated.GetProperty("rateLimit").GetProperty("burst").GetInt32().ShouldBe(5);
        }

        using (var clear = await admin.PatchJsonAsync("/admin/listeners/merge", """{"maxConnections":null,"rateLimit":null,"keepAliveTimeoutMs":null,"minRequestBodyDataRate":null}"""))
        {
            clear.StatusCode.ShouldBe(HttpStatusCode.OK);
            var cleared = await clear.JsonAsync();
            foreach (var field in new[] { "maxConnections", "rateLimit", "keepAliveTimeoutMs", "minRequestBodyDataRate", "maxRequestBodySize" })
            {
                cleared.GetProperty(field).ValueKind.ShouldBe(JsonValueKind.Null, field);
            }
        }

        var info = app.Manager.GetListener("merge")!;
        info.MaxConnections.ShouldBeNull();
        info.RateLimit.ShouldBeNull();
        info.KeepAliveTimeout.ShouldBeNull();

        // An empty patch changes nothing and answers the object.
        using var empty = await admin.PatchJsonAsync("/admin/listeners/merge", "{}");
        empty.StatusCode.ShouldBe(HttpStatusCode.OK);

        // Audited like every mutating call.
        (await Net.EventuallyAsync(() => app.Logs.Any(l => l.Contains("Admin update of listener 'merge'", StringComparison.Ordinal) && l.Contains(": 200 (PATCH", StringComparison.Ordinal)), Bound)).ShouldBeTrue();
    }

    [Fact]
    public async Task Patch_is_409_for_fixed_fields_and_draining_listeners_404_for_unknown_and_400_for_invalid()
    {
        await using var app = ExampleApp.Start();
        using var admin = app.Admin();
        var created = await admin.CreateListenerAsync("fixed", "\"maxConnections\":5");

        foreach (var (body, field) in new[]
        {
            ("""{"port":1234}""", "port"),
            ("""{"address":"127.0.0.2"}""", "address"),
            ("""{"protocols":"Http2"}""", "protocols"),
            ("""{"certificatePath":"/x.pfx"}""", "certificatePath"),
            ("""{"proxyProtocol":"V1"}""", "proxyProtocol"),
            ("""{"trustedProxies":["10.0.0.1"]}""", "trustedProxies"),
            ("""{"clientCertificateMode":"AllowCertificate"}""", "clientCertificateMode"),
            ("""{"name":"other"}""", "name"),
            ("""{"maxConcurrentRequests":2,"port":1234}""", "port"),
        })
        {
            using var response = await admin.PatchJsonAsync("/admin/listeners/fixed", body);
            (await response.ShouldBeProblemAsync(HttpStatusCode.Conflict)).Detail().ShouldStartWith($"{field}:", customMessage: body);
        }

        // Nothing changed by those (the last one had a valid limit too).
        app.Manager.GetListener("fixed")!.MaxConcurrentRequests.ShouldBeNull();

        foreach (var (body, field) in new[]
        {
            ("""{"maxConnections":0}""", "maxConnections"),
            ("""{"maxConcurrentRequests":"two"}""", "maxConcurrentRequests"),
            ("""{"rateLimit":{"permitsPerSecond":1}}""", "rateLimit.burst"),
            ("""{"requestHeadersTimeoutMs":10}""", "requestHeadersTimeoutMs"),
            ("""{"maxConnections":null,"maxConnectionsBehavior":"Backlog"}""", "maxConnectionsBehavior"),
            ("""{"status":"Accepting"}""", "status"),
            ("""[]""", "body"),
        })
        {
            using var response = await admin.PatchJsonAsync("/admin/listeners/fixed", body);
            var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest);
            problem.Detail().ShouldStartWith($"{field}:", customMessage: body);
        }

        app.Manager.GetListener("fixed")!.MaxConnections.ShouldBe(5);

        using (var unknown = await admin.PatchJsonAsync("/admin/listeners/nope", """{"maxConnections":3}"""))
        {
            (await unknown.ShouldBeProblemAsync(HttpStatusCode.NotFound)).Detail().ShouldContain("'nope'");
        }

        // A draining listener: one request held open keeps the drain running.
        using var held = ExampleApp.Client(ExampleHttp.UrlOf(created));
        using var release = new CancellationTokenSource();
        var slow = held.GetAsync(new Uri("/slow?ms=60000", UriKind.Relative), release.Token);
        (await Net.EventuallyAsync(() => app.Manager.GetListener("fixed")!.RequestsServed >= 1, Bound)).ShouldBeTrue();
        var drain = app.Manager.DrainAsync("fixed", TimeSpan.FromSeconds(30));
        (await Net.EventuallyAsync(() => app.Manager.GetListener("fixed")?.Status == ListenerStatus.Draining, Bound)).ShouldBeTrue();

        using (var draining = await admin.PatchJsonAsync("/admin/listeners/fixed", """{"maxConnections":3}"""))
        {
            (await draining.ShouldBeProblemAsync(HttpStatusCode.Conflict)).Detail().ShouldContain("draining");
        }

        await release.CancelAsync();
        await Should.ThrowAsync<OperationCanceledException>(() => slow);
        (await drain.WaitAsync(Bound)).ShouldNotBeNull().ListenerName.ShouldBe("fixed");
    }

    [Fact]
    public async Task Certificate_replace_is_200_and_new_connections_see_it_a_broken_file_is_400_and_the_old_one_stays()
    {
        await using var app = ExampleApp.Start();
        using var admin = app.Admin();
        var first = new TestPfx(_folder);
        var second = new TestPfx(_folder);
        var created = await admin.CreateListenerAsync("tls", $$""" "certificatePath":{{first.PfxJson}},"certificatePassword":"secret" """);
        var url = ExampleHttp.UrlOf(created);
        (await ThumbprintSeenAsync(url)).ShouldBe(first.Thumbprint);

        using (var replaced = await admin.PostJsonAsync("/admin/listeners/tls/certificate", $$"""{"certificatePath":{{second.PfxJson}},"certificatePassword":"secret"}"""))
        {
            replaced.StatusCode.ShouldBe(HttpStatusCode.OK, await replaced.Content.ReadAsStringAsync());
            (await replaced.JsonAsync()).GetProperty("certificate").GetProperty("thumbprint").GetString().ShouldBe(second.Thumbprint);
        }

        (await ThumbprintSeenAsync(url)).ShouldBe(second.Thumbprint);
        (await Net.EventuallyAsync(() => app.Logs.Any(l => l.Contains("Admin replace-certificate of listener 'tls'", StringComparison.Ordinal)), Bound)).ShouldBeTrue();

        // PEM certificate + key works the same way.
        using (var pem = await admin.PostJsonAsync("/admin/listeners/tls/certificate", $$"""{"certificatePath":{{first.PemJson}},"certificateKeyPath":{{first.KeyJson}}}"""))
        {
            pem.StatusCode.ShouldBe(HttpStatusCode.OK, await pem.Content.ReadAsStringAsync());
        }

        (await ThumbprintSeenAsync(url)).ShouldBe(first.Thumbprint);

        var broken = Path.Combine(_folder, "broken.pfx");
        await File.WriteAllBytesAsync(broken, Encoding.ASCII.GetBytes("not a certificate"));
        foreach (var body in new[]
        {
            $$"""{"certificatePath":{{JsonSerializer.Serialize(broken)}},"certificatePassword":"secret"}""",
            $$"""{"certificatePath":{{second.PfxJson}},"certificatePassword":"wrong"}""",
            """{"certificatePath":"/nonexistent/x.pfx","certificatePassword":"secret"}""",
        })
        {
            using var response = await admin.PostJsonAsync("/admin/listeners/tls/certificate", body);
            (await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest)).Detail().ShouldStartWith("certificatePath:", customMessage: body);
        }

        foreach (var (body, field) in new[]
        {
            ("{}", "certificatePath"),
            ("""{"certificatePath":"/x.pem","certificatePassword":"a","certificateKeyPath":"/x.key"}""", "certificateKeyPath"),
            ("""{"certificatePath":"/x.pfx","password":"a"}""", "password"),
        })
        {
            using var response = await admin.PostJsonAsync("/admin/listeners/tls/certificate", body);
            (await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest)).Detail().ShouldStartWith($"{field}:", customMessage: body);
        }

        // The old one is still served, and the listener object says so.
        (await ThumbprintSeenAsync(url)).ShouldBe(first.Thumbprint);
        (await admin.GetListenerJsonAsync("tls")).GetProperty("certificate").GetProperty("thumbprint").GetString().ShouldBe(first.Thumbprint);

        using (var plaintext = await admin.PostJsonAsync("/admin/listeners/public/certificate", $$"""{"certificatePath":{{second.PfxJson}},"certificatePassword":"secret"}"""))
        {
            (await plaintext.ShouldBeProblemAsync(HttpStatusCode.Conflict)).Detail().ShouldContain("plaintext");
        }

        using (var unknown = await admin.PostJsonAsync("/admin/listeners/nope/certificate", $$"""{"certificatePath":{{second.PfxJson}},"certificatePassword":"secret"}"""))
        {
            (await unknown.ShouldBeProblemAsync(HttpStatusCode.NotFound)).Detail().ShouldContain("'nope'");
        }
    }

    [Fact]
    public async Task A_unix_socket_listener_is_created_and_curl_and_HttpClient_get_200_over_the_socket()
    {
        await ExternalTools.RequireAsync("curl");
        await using var app = ExampleApp.Start();
        using var admin = app.Admin();
        var path = Path.Combine(_folder, "admin.sock");

        var created = await admin.CreateListenerAsync("ux", $$""" "address":{{JsonSerializer.Serialize("unix:" + path)}} """);

        created.GetProperty("address").GetString().ShouldBe($"unix:{path}");
        created.GetProperty("port").GetInt32().ShouldBe(0);
        var (exitCode, output) = await ProxyProtocolListenerTests.CurlAsync("-w", "\n%{http_code}", "--unix-socket", path, "http://localhost/whoami");
        exitCode.ShouldBe(0, output);
        output.ShouldEndWith("\n200");
        output.ShouldContain("\"listener\":\"ux\"");

        using var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, ct) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), ct);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        using var client = new HttpClient(handler) { BaseAddress = new Uri("http://localhost") };
        using (var response = await client.GetAsync(new Uri("/", UriKind.Relative)).WaitAsync(Bound))
        {
            response.StatusCode.ShouldBe(HttpStatusCode.OK);
            (await response.Content.ReadAsStringAsync()).ShouldContain("listener=ux");
        }

        using (var delete = await admin.DeleteAsync(new Uri("/admin/listeners/ux", UriKind.Relative)))
        {
            delete.StatusCode.ShouldBe(HttpStatusCode.NoContent);
        }

        File.Exists(path).ShouldBeFalse("stopping the listener removes its socket file");
    }

    [Fact]
    public async Task A_proxy_protocol_v1_listener_shows_the_address_the_header_claims()
    {
        await ExternalTools.RequireAsync("curl");
        await using var app = ExampleApp.Start();
        using var admin = app.Admin();
        var created = await admin.CreateListenerAsync("pp", """ "proxyProtocol":"V1","trustedProxies":["127.0.0.1"] """);
        var url = ExampleHttp.UrlOf(created);

        // curl 7.88 claims its own socket's address; the listener's port is the destination it writes.
        var (exitCode, output) = await ProxyProtocolListenerTests.CurlAsync("--haproxy-protocol", new Uri(url, "/whoami").ToString());
        exitCode.ShouldBe(0, output);
        using (var whoami = JsonDocument.Parse(output))
        {
            whoami.RootElement.GetProperty("listener").GetString().ShouldBe("pp");
            whoami.RootElement.GetProperty("remoteIp").GetString().ShouldBe("127.0.0.1");
            whoami.RootElement.GetProperty("localPort").GetInt32().ShouldBe(url.Port);
        }

        // A header claiming another client: the app sees that one, not the loopback peer.
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, url.Port);
        await socket.SendAsync(Encoding.ASCII.GetBytes($"PROXY TCP4 203.0.113.9 127.0.0.1 4444 {url.Port}\r\nGET /whoami HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
        var response = await ReadToEndAsync(socket);
        response.ShouldStartWith("HTTP/1.1 200");
        response.ShouldContain("\"remoteIp\":\"203.0.113.9\"");
        response.ShouldContain("\"remotePort\":4444");

        // Without a header the connection is closed without a byte (curl: empty reply).
        var (without, _) = await ProxyProtocolListenerTests.CurlAsync(new Uri(url, "/whoami").ToString());
        without.ShouldBe(52);
        (await admin.GetListenerJsonAsync("pp")).GetProperty("proxyProtocolRejected").GetInt64().ShouldBe(1);
    }

    private static async Task<string> ReadToEndAsync(Socket socket)
    {
        var buffer = new byte[8192];
        var text = new StringBuilder();
        using var timeout = new CancellationTokenSource(Bound);
        for (var i = 0; i < 1000; i++)
        {
            var n = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
            if (n == 0)
            {
                break;
            }

            text.Append(Encoding.ASCII.GetString(buffer, 0, n));
        }

        return text.ToString();
    }

    /// <summary>The SHA-1 thumbprint a new TLS connection to <paramref name="url"/> is shown.</summary>
    private static async Task<string?> ThumbprintSeenAsync(Uri url)
    {
        string? seen = null;
        using var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                {
                    seen = certificate is null ? null : Convert.ToHexString(certificate.GetCertHash());
                    return true;
                },
            },
        };
        using var client = new HttpClient(handler) { BaseAddress = url, Timeout = Bound };
        (await client.GetStringAsync(new Uri("/", UriKind.Relative))).ShouldContain("listener=");
        return seen;
    }

    /// <summary>A fresh self-signed loopback certificate, as a PKCS#12 file (password "secret") and as PEM files in the test's folder.</summary>
    private sealed class TestPfx
    {
        public TestPfx(string folder)
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = new CertificateRequest($"CN=roadrunner-admin-{Guid.NewGuid():N}", key, HashAlgorithmName.SHA256);
            var san = new SubjectAlternativeNameBuilder();
            san.AddIpAddress(IPAddress.Loopback);
            request.CertificateExtensions.Add(san.Build());
            using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(7));
            var stem = Path.Combine(folder, Guid.NewGuid().ToString("N"));
            File.WriteAllBytes(stem + ".pfx", certificate.Export(X509ContentType.Pfx, "secret"));
            File.WriteAllText(stem + ".pem", certificate.ExportCertificatePem());
            File.WriteAllText(stem + ".key", key.ExportPkcs8PrivateKeyPem());
            Thumbprint = certificate.Thumbprint;
            PfxJson = JsonSerializer.Serialize(stem + ".pfx");
            PemJson = JsonSerializer.Serialize(stem + ".pem");
            KeyJson = JsonSerializer.Serialize(stem + ".key");
        }

        public string Thumbprint { get; }

        public string PfxJson { get; }

        public string PemJson { get; }

        public string KeyJson { get; }
    }
}
