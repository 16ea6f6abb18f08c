using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Roadrunner.AspNetCore.Tests.Docs;
using Roadrunner.AspNetCore.Tests.Infrastructure;

namespace Roadrunner.AspNetCore.Tests.Tls;

/// <summary>The TLS options from configuration: the README's block, and a listener started from configuration keys.</summary>
[Collection(TlsTestGroup.Name)]
public sealed class TlsConfigurationTests
{
    [Fact]
    public void The_readme_tls_configuration_block_binds_with_no_unknown_key_and_through_the_library()
    {
        var path = Path.Combine(Repository.Root, "examples", "Snippets", "tls-configuration.json");
        var configuration = new ConfigurationBuilder().AddJsonFile(path, optional: false).Build();
        var reflected = new RoadrunnerOptions();
        configuration.GetSection("Roadrunner").Bind(reflected, o => o.ErrorOnUnknownConfiguration = true);

        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration);
        services.AddRoadrunner();
        using var provider = services.BuildServiceProvider();
        var bound = new RoadrunnerOptions();
        foreach (var configure in provider.GetServices<IConfigureOptions<RoadrunnerOptions>>())
        {
            configure.Configure(bound);
        }

        foreach (var options in new[] { reflected, bound })
        {
            var tenants = options.Listeners["tenants"];
            tenants.SniCertificates!.Keys.ShouldBe(["api.example.com", "*.tenants.example.com"], ignoreOrder: true);
            tenants.SniCertificates["*.tenants.example.com"].Password.ShouldBe("...");
            tenants.SniCertificates["api.example.com"].KeyPath.ShouldBe("/etc/tls/api/tls.key");
            var @internal = options.Listeners["internal"];
            @internal.ClientCertificateMode.ShouldBe(ClientCertificateMode.RequireCertificate);
            @internal.ClientCertificateAuthorityPaths.ShouldBe(["/etc/tls/internal/clients-ca.pem"]);
            @internal.CertificatePollInterval.ShouldBe(TimeSpan.FromMinutes(5));
        }
    }

    [Fact]
    public async Task A_listener_from_configuration_serves_its_sni_certificates_and_asks_for_client_certificates()
    {
        using var files = new TestCertificates();
        using var fallback = TestCertificates.Server("conf-default.test");
        using var api = TestCertificates.Server("conf-api.test", issuer: null, "api.conf.test");
        using var authority = TestCertificates.Authority("Conf CA");
        var (certificate, key) = files.WritePem(fallback, "default");
        var (apiCertificate, apiKey) = files.WritePem(api, "api");
        await using var app = await TestApp.StartAsync(configuration: new Dictionary<string, string?>
        {
            ["Roadrunner:Listeners:conf-tls:UseTls"] = "true",
            ["Roadrunner:Listeners:conf-tls:CertificatePath"] = certificate,
            ["Roadrunner:Listeners:conf-tls:CertificateKeyPath"] = key,
            ["Roadrunner:Listeners:conf-tls:SniCertificates:api.conf.test:Path"] = apiCertificate,
            ["Roadrunner:Listeners:conf-tls:SniCertificates:api.conf.test:KeyPath"] = apiKey,
            ["Roadrunner:Listeners:conf-tls:ClientCertificateMode"] = "AllowCertificate",
            ["Roadrunner:Listeners:conf-tls:ClientCertificateAuthorityPaths:0"] = files.WriteCertificatePem(authority, "ca"),
        });
        var info = app.Manager.GetListener("conf-tls")!;

        (await TestCertificates.OpensslThumbprintAsync(info.Port, "api.conf.test")).ShouldBe(api.Thumbprint);
        (await TestCertificates.OpensslThumbprintAsync(info.Port)).ShouldBe(fallback.Thumbprint);
        info.ClientCertificateMode.ShouldBe(ClientCertificateMode.AllowCertificate);
        info.Certificate!.Subject.ShouldBe("CN=conf-default.test");
    }
}
