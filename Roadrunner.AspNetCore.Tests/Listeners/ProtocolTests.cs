using System.Net;
using System.Security.Cryptography.X509Certificates;
using Roadrunner.AspNetCore.Tests.Infrastructure;

namespace Roadrunner.AspNetCore.Tests.Listeners;

public sealed class ProtocolTests
{
    [Fact]
    public async Task H2c_listener_answers_http2_prior_knowledge()
    {
        await using var app = await TestApp.StartAsync();
        var url = await app.StartListenerAsync("h2c", new ListenerOptions { Protocols = ListenerProtocols.Http2 });

        using var client = Net.Client(url, HttpVersion.Version20);
        using var response = await client.GetAsync("/");

        response.Version.ShouldBe(HttpVersion.Version20);
        (await response.Content.ReadAsStringAsync()).ShouldBe("listener=h2c");
        app.Manager.GetListener("h2c")!.Protocols.ShouldBe(ListenerProtocols.Http2);
    }

    [Fact]
    public async Task Http1_listener_rejects_http2_prior_knowledge()
    {
        await using var app = await TestApp.StartAsync();
        var url = await app.StartListenerAsync("h1");

        using var client = Net.Client(url, HttpVersion.Version20);

        await Should.ThrowAsync<HttpRequestException>(() => client.GetAsync("/"));
        using var http1 = Net.Client(url, HttpVersion.Version11);
        (await http1.GetStringAsync("/")).ShouldBe("listener=h1");
    }

    [Fact]
    public async Task Tls_listener_negotiates_h2_and_http11_by_alpn()
    {
        await using var app = await TestApp.StartAsync();
        using var certificate = Net.CreateCertificate("alpn");
        var info = await app.Manager.StartAsync("tls", new ListenerOptions
        {
            UseTls = true,
            Certificate = certificate,
            Protocols = ListenerProtocols.Http1AndHttp2,
        });
        info.Scheme.ShouldBe("https");

        using var h2 = Net.TlsClient(info.Url, HttpVersion.Version20, _ => { });
        using var h2Response = await h2.GetAsync("/");
        h2Response.Version.ShouldBe(HttpVersion.Version20);
        (await h2Response.Content.ReadAsStringAsync()).ShouldBe("listener=tls");

        using var h1 = Net.TlsClient(info.Url, HttpVersion.Version11, _ => { });
        using var h1Response = await h1.GetAsync("/");
        h1Response.Version.ShouldBe(HttpVersion.Version11);
        (await h1Response.Content.ReadAsStringAsync()).ShouldBe("listener=tls");
    }

    [Fact]
    public async Task Tls_http1_only_listener_refuses_h2()
    {
        await using var app = await TestApp.StartAsync();
        using var certificate = Net.CreateCertificate("h1only");
        var info = await app.Manager.StartAsync("tls1", new ListenerOptions { UseTls = true, Certificate = certificate });

        using var h2 = Net.TlsClient(info.Url, HttpVersion.Version20, _ => { });
        await Should.ThrowAsync<HttpRequestException>(() => h2.GetAsync("/"));

        using var h1 = Net.TlsClient(info.Url, HttpVersion.Version11, _ => { });
        (await h1.GetStringAsync("/")).ShouldBe("listener=tls1");
    }

    [Fact]
    public async Task Two_tls_listeners_present_their_own_certificates()
    {
        await using var app = await TestApp.StartAsync();
        using var alpha = Net.CreateCertificate("alpha.test");
        using var beta = Net.CreateCertificate("beta.test");
        var a = await app.Manager.StartAsync("alpha", new ListenerOptions { UseTls = true, Certificate = alpha });
        var b = await app.Manager.StartAsync("beta", new ListenerOptions { UseTls = true, Certificate = beta });

        X509Certificate2? seenA = null, seenB = null;
        using var clientA = Net.TlsClient(a.Url, HttpVersion.Version11, c => seenA = c);
        using var clientB = Net.TlsClient(b.Url, HttpVersion.Version11, c => seenB = c);
        (await clientA.GetStringAsync("/")).ShouldBe("listener=alpha");
        (await clientB.GetStringAsync("/")).ShouldBe("listener=beta");

        seenA!.Thumbprint.ShouldBe(alpha.Thumbprint);
        seenB!.Thumbprint.ShouldBe(beta.Thumbprint);
    }

    [Fact]
    public async Task Tls_listener_loads_its_certificate_from_a_pfx_file()
    {
        await using var app = await TestApp.StartAsync();
        using var certificate = Net.CreateCertificate("file.test");
        var path = Path.Combine(Path.GetTempPath(), $"roadrunner-{Guid.NewGuid():N}.pfx");
        await File.WriteAllBytesAsync(path, certificate.Export(X509ContentType.Pfx, "secret"));
        try
        {
            var info = await app.Manager.StartAsync("file", new ListenerOptions { UseTls = true, CertificatePath = path, CertificatePassword = "secret" });

            X509Certificate2? seen = null;
            using var client = Net.TlsClient(info.Url, HttpVersion.Version11, c => seen = c);
            (await client.GetStringAsync("/")).ShouldBe("listener=file");
            seen!.Thumbprint.ShouldBe(certificate.Thumbprint);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
