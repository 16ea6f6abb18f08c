using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Options;
using Roadrunner.AspNetCore.Tests.Infrastructure;

namespace Roadrunner.AspNetCore.Tests.Tls;

/// <summary>Client certificates (mTLS) per listener, with real TLS clients: HttpClient, SslStream and curl.</summary>
[Collection(TlsTestGroup.Name)]
public sealed class ClientCertificateTests : IAsyncLifetime
{
    private readonly TestCertificates _files = new();
    private readonly X509Certificate2 _authority = TestCertificates.Authority("Roadrunner Test CA");
    private readonly X509Certificate2 _otherAuthority = TestCertificates.Authority("Someone Else's CA");
    private readonly X509Certificate2 _server = TestCertificates.Server("mtls.test");
    private TestApp _app = null!;

    public async Task InitializeAsync() =>
        _app = await TestApp.StartAsync(configureApp: app =>
            app.MapGet("/who", (HttpContext context) => $"client={context.Connection.ClientCertificate?.Subject ?? "none"}"));

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        _files.Dispose();
        _authority.Dispose();
        _otherAuthority.Dispose();
        _server.Dispose();
    }

    [Fact]
    public async Task RequireCertificate_refuses_a_client_without_one_and_accepts_one_issued_by_the_trusted_authority()
    {
        var info = await _app.Manager.StartAsync("mtls", new ListenerOptions
        {
            UseTls = true,
            Certificate = _server,
            ClientCertificateMode = ClientCertificateMode.RequireCertificate,
            ClientCertificateAuthorityPaths = [_files.WriteCertificatePem(_authority, "ca")],
        });
        var plain = await _app.Manager.StartAsync("no-mtls", new ListenerOptions { UseTls = true, Certificate = _server });
        using var trusted = TestCertificates.Client("alice", _authority);
        using var untrusted = TestCertificates.Client("mallory", _otherAuthority);

        // Each refused handshake is counted (HttpClient tries a failed new connection more than once, so "more").
        using (var anonymous = TestCertificates.ClientFor(info.Port, _ => { }))
        {
            await Should.ThrowAsync<HttpRequestException>(() => anonymous.GetStringAsync($"https://127.0.0.1:{info.Port}/who"));
        }

        var afterAnonymous = Rejected("mtls");
        afterAnonymous.ShouldBeGreaterThan(0);
        using (var withCertificate = TestCertificates.ClientFor(info.Port, _ => { }, trusted))
        {
            (await withCertificate.GetStringAsync($"https://127.0.0.1:{info.Port}/who")).ShouldBe("client=CN=alice");
        }

        Rejected("mtls").ShouldBe(afterAnonymous);
        using (var wrongAuthority = TestCertificates.ClientFor(info.Port, _ => { }, untrusted))
        {
            await Should.ThrowAsync<HttpRequestException>(() => wrongAuthority.GetStringAsync($"https://127.0.0.1:{info.Port}/who"));
        }

        Rejected("mtls").ShouldBeGreaterThan(afterAnonymous);

        // One connection of its own: exactly one more.
        var beforeOwn = Rejected("mtls");
        // (Under TLS 1.3 the client finishes its side first and learns of the refusal at its first read: an alert or EOF.)
        var response = string.Empty;
        try
        {
            var (socket, tls, _) = await TestCertificates.OpenAsync(info.Port);
            using var _s = socket;
            await using var _t = tls;
            response = await TestCertificates.GetAsync(tls, "/who");
        }
        catch (Exception ex) when (ex is IOException or System.Security.Authentication.AuthenticationException)
        {
        }

        response.ShouldBeEmpty();
        (await Net.EventuallyAsync(() => Rejected("mtls") == beforeOwn + 1)).ShouldBeTrue();

        // Another listener of the same app asks for nothing.
        using (var anonymous = TestCertificates.ClientFor(plain.Port, _ => { }))
        {
            (await anonymous.GetStringAsync($"https://127.0.0.1:{plain.Port}/who")).ShouldBe("client=none");
        }

        var listener = _app.Manager.GetListener("mtls")!;
        listener.ClientCertificateMode.ShouldBe(ClientCertificateMode.RequireCertificate);
        _app.Manager.GetListener("no-mtls")!.ClientCertificatesRejected.ShouldBe(0);
        _app.Logs.Entries.ShouldContain(e => e.EventId.Id == 58 && e.Message.Contains("'mtls'") && e.Message.Contains("no_certificate"));
    }

    [Fact]
    public async Task Curl_with_a_client_certificate_is_seen_by_the_handler()
    {
        var curl = await ExternalTools.RequireAsync("curl");
        var info = await _app.Manager.StartAsync("mtls-curl", new ListenerOptions
        {
            UseTls = true,
            Certificate = _server,
            ClientCertificateMode = ClientCertificateMode.RequireCertificate,
            ClientCertificateAuthorityPaths = [_files.WriteCertificatePem(_authority, "ca-curl")],
        });
        using var client = TestCertificates.Client("curl-client", _authority);
        var (certificatePath, keyPath) = _files.WritePem(client, "curl-client");

        using var withCertificate = ChildProcess.Start(curl, ["-sk", "--cert", certificatePath, "--key", keyPath, $"https://127.0.0.1:{info.Port}/who"]);
        (await withCertificate.WaitForExitAsync(TimeSpan.FromSeconds(30))).ShouldBeTrue(withCertificate.Describe());
        withCertificate.StdoutLines.ShouldBe(["client=CN=curl-client"], withCertificate.Describe());

        using var without = ChildProcess.Start(curl, ["-sk", $"https://127.0.0.1:{info.Port}/who"]);
        (await without.WaitForExitAsync(TimeSpan.FromSeconds(30))).ShouldBeTrue(without.Describe());
        without.ExitCode.ShouldNotBe(0, without.Describe());
        without.StdoutLines.ShouldBeEmpty();
    }

    [Fact]
    public async Task AllowCertificate_serves_clients_with_and_without_one()
    {
        var info = await _app.Manager.StartAsync("mtls-allow", new ListenerOptions
        {
            UseTls = true,
            Certificate = _server,
            ClientCertificateMode = ClientCertificateMode.AllowCertificate,
            ClientCertificateAuthorityPaths = [_files.WriteCertificatePem(_authority, "ca-allow")],
        });
        using var trusted = TestCertificates.Client("bob", _authority);
        using var untrusted = TestCertificates.Client("eve", _otherAuthority);

        using var anonymous = TestCertificates.ClientFor(info.Port, _ => { });
        (await anonymous.GetStringAsync($"https://127.0.0.1:{info.Port}/who")).ShouldBe("client=none");
        using var withCertificate = TestCertificates.ClientFor(info.Port, _ => { }, trusted);
        (await withCertificate.GetStringAsync($"https://127.0.0.1:{info.Port}/who")).ShouldBe("client=CN=bob");

        Rejected("mtls-allow").ShouldBe(0);

        // A certificate that is sent is validated: an untrusted one fails the handshake.
        using var wrong = TestCertificates.ClientFor(info.Port, _ => { }, untrusted);
        await Should.ThrowAsync<HttpRequestException>(() => wrong.GetStringAsync($"https://127.0.0.1:{info.Port}/who"));
        Rejected("mtls-allow").ShouldBeGreaterThan(0);
    }

    [Fact]
    public async Task Pinned_thumbprints_accept_only_the_listed_self_signed_certificates()
    {
        using var pinned = TestCertificates.Client("pinned");
        using var other = TestCertificates.Client("not-pinned");
        var info = await _app.Manager.StartAsync("mtls-pin", new ListenerOptions
        {
            UseTls = true,
            Certificate = _server,
            ClientCertificateMode = ClientCertificateMode.RequireCertificate,
            ClientCertificateThumbprints = [string.Join(':', pinned.Thumbprint.Chunk(2).Select(c => new string(c))).ToLowerInvariant()],
        });

        using var ok = TestCertificates.ClientFor(info.Port, _ => { }, pinned);
        (await ok.GetStringAsync($"https://127.0.0.1:{info.Port}/who")).ShouldBe("client=CN=pinned");
        Rejected("mtls-pin").ShouldBe(0);
        using var refused = TestCertificates.ClientFor(info.Port, _ => { }, other);
        await Should.ThrowAsync<HttpRequestException>(() => refused.GetStringAsync($"https://127.0.0.1:{info.Port}/who"));
        Rejected("mtls-pin").ShouldBeGreaterThan(0);
    }

    private long Rejected(string name) => _app.Manager.GetListener(name)!.ClientCertificatesRejected;

    [Fact]
    public async Task Invalid_client_certificate_options_are_refused_with_the_key_named()
    {
        var error = await Should.ThrowAsync<OptionsValidationException>(() => _app.Manager.StartAsync("bad-mtls", new ListenerOptions
        {
            ClientCertificateMode = ClientCertificateMode.RequireCertificate,
            ClientCertificateAuthorityPaths = ["/nonexistent/ca.pem"],
            ClientCertificateThumbprints = ["not-a-thumbprint"],
        }));
        error.Message.ShouldContain("Roadrunner:Listeners:bad-mtls:ClientCertificateMode: client certificates need TLS");
        error.Message.ShouldContain("Roadrunner:Listeners:bad-mtls:ClientCertificateAuthorityPaths:0: file '/nonexistent/ca.pem' does not exist");
        error.Message.ShouldContain("Roadrunner:Listeners:bad-mtls:ClientCertificateThumbprints:0: 'not-a-thumbprint' is not a SHA-1 thumbprint");

        (await Should.ThrowAsync<OptionsValidationException>(() => _app.Manager.StartAsync("delay", new ListenerOptions
        {
            UseTls = true,
            Certificate = _server,
            ClientCertificateMode = ClientCertificateMode.DelayCertificate,
        }))).Message.ShouldContain("Roadrunner:Listeners:delay:ClientCertificateMode: 'DelayCertificate' is not one of");

        // A file that exists but holds no certificate: refused at start, and nothing is left behind.
        var notPem = Path.Combine(_files.Directory, "not.pem");
        await File.WriteAllTextAsync(notPem, "hello");
        (await Should.ThrowAsync<OptionsValidationException>(() => _app.Manager.StartAsync("notpem", new ListenerOptions
        {
            UseTls = true,
            Certificate = _server,
            ClientCertificateMode = ClientCertificateMode.RequireCertificate,
            ClientCertificateAuthorityPaths = [notPem],
        }))).Message.ShouldContain("Roadrunner:Listeners:notpem:ClientCertificateAuthorityPaths:0:");
        _app.Manager.Names.ShouldNotContain("notpem");
    }
}
