using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Options;
using Roadrunner.AspNetCore.Tests.Infrastructure;
using Roadrunner.AspNetCore.Tls;

namespace Roadrunner.AspNetCore.Tests.Tls;

/// <summary>Several certificates on one listener, chosen by the client's SNI name (openssl s_client -servername, HttpClient).</summary>
[Collection(TlsTestGroup.Name)]
public sealed class SniCertificateTests : IAsyncLifetime
{
    private readonly TestCertificates _files = new();
    private readonly EventRecorder _events = new();
    private TestApp _app = null!;

    public async Task InitializeAsync() => _app = await TestApp.StartAsync();

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        _events.Dispose();
        _files.Dispose();
    }

    [Fact]
    public async Task Two_host_names_get_their_own_certificates_and_everyone_else_the_default()
    {
        using var fallback = TestCertificates.Server("default.test");
        using var api = TestCertificates.Server("api.example.test", issuer: null, "api.example.test");
        using var tenants = TestCertificates.Server("tenants.example.test", issuer: null, "*.tenants.example.test");
        var (apiCertificate, apiKey) = _files.WritePem(api, "api");
        var info = await _app.Manager.StartAsync("sni", new ListenerOptions
        {
            UseTls = true,
            Certificate = fallback,
            Protocols = ListenerProtocols.Http1AndHttp2,
            SniCertificates = new Dictionary<string, ListenerCertificate>
            {
                ["api.example.test"] = new() { Path = apiCertificate, KeyPath = apiKey },
                ["*.tenants.example.test"] = new() { Path = _files.WritePfx(tenants, "pw", "tenants"), Password = "pw" },
            },
        });

        (await TestCertificates.OpensslThumbprintAsync(info.Port, "api.example.test")).ShouldBe(api.Thumbprint);
        (await TestCertificates.OpensslThumbprintAsync(info.Port, "API.Example.Test")).ShouldBe(api.Thumbprint);
        (await TestCertificates.OpensslThumbprintAsync(info.Port, "a.tenants.example.test")).ShouldBe(tenants.Thumbprint);
        (await TestCertificates.OpensslThumbprintAsync(info.Port, "a.b.tenants.example.test")).ShouldBe(fallback.Thumbprint);
        (await TestCertificates.OpensslThumbprintAsync(info.Port, "tenants.example.test")).ShouldBe(fallback.Thumbprint);
        (await TestCertificates.OpensslThumbprintAsync(info.Port, "other.test")).ShouldBe(fallback.Thumbprint);
        (await TestCertificates.OpensslThumbprintAsync(info.Port)).ShouldBe(fallback.Thumbprint);

        X509Certificate2? seen = null;
        using var client = TestCertificates.ClientFor(info.Port, c => seen = c);
        (await client.GetStringAsync($"https://api.example.test:{info.Port}/")).ShouldBe("listener=sni");
        seen!.Thumbprint.ShouldBe(api.Thumbprint);
        (await client.GetStringAsync($"https://x.tenants.example.test:{info.Port}/")).ShouldBe("listener=sni");
        seen!.Thumbprint.ShouldBe(tenants.Thumbprint);
        _app.Manager.GetListener("sni")!.Certificate!.Thumbprint.ShouldBe(fallback.Thumbprint);
    }

    [Fact]
    public async Task An_sni_certificate_file_is_reloaded_on_its_own()
    {
        using var fallback = TestCertificates.Server("default.test");
        using var first = TestCertificates.Server("a1.test", issuer: null, "a.test");
        using var second = TestCertificates.Server("a2.test", issuer: null, "a.test");
        var (certificatePath, keyPath) = _files.WritePem(first, "a");
        var info = await _app.Manager.StartAsync("sni-reload", new ListenerOptions
        {
            UseTls = true,
            Certificate = fallback,
            SniCertificates = new Dictionary<string, ListenerCertificate> { ["a.test"] = new() { Path = certificatePath, KeyPath = keyPath } },
        });
        (await TestCertificates.OpensslThumbprintAsync(info.Port, "a.test")).ShouldBe(first.Thumbprint);

        _files.WritePem(second, "a");
        var reloaded = await _events.WaitForAsync<CertificateReloadedEvent>(RoadrunnerEvents.CertificateReloaded, e => e.ListenerName == "sni-reload", TimeSpan.FromSeconds(30));

        reloaded.HostName.ShouldBe("a.test");
        reloaded.NewThumbprint.ShouldBe(second.Thumbprint);
        (await TestCertificates.OpensslThumbprintAsync(info.Port, "a.test")).ShouldBe(second.Thumbprint);
        (await TestCertificates.OpensslThumbprintAsync(info.Port)).ShouldBe(fallback.Thumbprint);
    }

    [Fact]
    public void Choosing_the_certificate_for_a_handshake_allocates_nothing()
    {
        using var certificate = TestCertificates.Server("select.test");
        var fallback = new CertificateEntry(null, null, certificate, owned: false, new SslServerAuthenticationOptions(), []);
        var exact = new CertificateEntry("api.example.test", null, certificate, owned: false, new SslServerAuthenticationOptions(), []);
        var wildcard = new CertificateEntry("*.tenants.example.test", null, certificate, owned: false, new SslServerAuthenticationOptions(), []);
        var generation = new TlsGeneration(fallback, [exact, wildcard]);
        string[] names = ["API.example.test", "a.tenants.example.test", "tenants.example.test", "other.test", ""];
        foreach (var name in names)
        {
            generation.Select(name);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        var chosen = (generation.Select(names[0]), generation.Select(names[1]), generation.Select(names[2]), generation.Select(names[3]), generation.Select(names[4]), generation.Select(null));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        allocated.ShouldBe(0);
        chosen.ShouldBe((exact.Options, wildcard.Options, fallback.Options, fallback.Options, fallback.Options, fallback.Options));
    }

    [Theory]
    [InlineData("api.example.com", true)]
    [InlineData("*.example.com", true)]
    [InlineData("localhost", true)]
    [InlineData("*.com", false)]
    [InlineData("*", false)]
    [InlineData("a.*.example.com", false)]
    [InlineData("-bad.example.com", false)]
    [InlineData("10.0.0.1", false)]
    [InlineData("", false)]
    [InlineData("exa mple.com", false)]
    public void Host_patterns(string pattern, bool valid) => SniHostPattern.IsValid(pattern).ShouldBe(valid);

    [Fact]
    public async Task Bad_host_patterns_and_missing_files_are_refused_with_the_key_named()
    {
        using var fallback = TestCertificates.Server("default.test");
        var error = await Should.ThrowAsync<OptionsValidationException>(() => _app.Manager.StartAsync("sni-bad", new ListenerOptions
        {
            UseTls = true,
            Certificate = fallback,
            SniCertificates = new Dictionary<string, ListenerCertificate>
            {
                ["*.*.test"] = new() { Path = "/nonexistent/a.pfx" },
                ["ok.test"] = new() { Path = "/nonexistent/ok.crt", KeyPath = "/nonexistent/ok.key" },
                ["127.0.0.1"] = new(),
            },
        }));

        error.Message.ShouldContain("Roadrunner:Listeners:sni-bad:SniCertificates:*.*.test: '*.*.test' is not a host name pattern");
        error.Message.ShouldContain("Roadrunner:Listeners:sni-bad:SniCertificates:*.*.test:Path: file '/nonexistent/a.pfx' does not exist");
        error.Message.ShouldContain("Roadrunner:Listeners:sni-bad:SniCertificates:ok.test:Path: file '/nonexistent/ok.crt' does not exist");
        error.Message.ShouldContain("Roadrunner:Listeners:sni-bad:SniCertificates:ok.test:KeyPath: file '/nonexistent/ok.key' does not exist");
        error.Message.ShouldContain("Roadrunner:Listeners:sni-bad:SniCertificates:127.0.0.1: '127.0.0.1' is not a host name pattern");
        error.Message.ShouldContain("Roadrunner:Listeners:sni-bad:SniCertificates:127.0.0.1:Path: a certificate file is required");

        // A file that exists but does not load: refused at start, the default certificate's listener is not left behind.
        var broken = Path.Combine(_files.Directory, "broken.pfx");
        await File.WriteAllTextAsync(broken, "not a pfx");
        (await Should.ThrowAsync<OptionsValidationException>(() => _app.Manager.StartAsync("sni-broken", new ListenerOptions
        {
            UseTls = true,
            Certificate = fallback,
            SniCertificates = new Dictionary<string, ListenerCertificate> { ["b.test"] = new() { Path = broken } },
        }))).Message.ShouldContain("Roadrunner:Listeners:sni-broken:SniCertificates:b.test:Path: cannot load");
        _app.Manager.Names.ShouldNotContain("sni-broken");
        fallback.Handle.ShouldNotBe(IntPtr.Zero);
    }
}
