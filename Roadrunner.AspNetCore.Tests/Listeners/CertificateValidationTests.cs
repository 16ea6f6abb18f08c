using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Options;
using Roadrunner.AspNetCore.Listeners;
using Roadrunner.AspNetCore.Tests.Infrastructure;

namespace Roadrunner.AspNetCore.Tests.Listeners;

public sealed class CertificateValidationTests : IAsyncLifetime
{
    private const string ServerAuth = "1.3.6.1.5.5.7.3.1";
    private const string ClientAuth = "1.3.6.1.5.5.7.3.2";

    private readonly List<string> _files = [];
    private TestApp _app = null!;

    public async Task InitializeAsync() => _app = await TestApp.StartAsync();

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        foreach (var file in _files)
        {
            File.Delete(file);
        }
    }

    public enum Source
    {
        Code,
        File,
    }

    public static TheoryData<Source> Sources => new() { Source.Code, Source.File };

    [Fact]
    public async Task A_pfx_without_a_private_key_is_refused_with_the_key_named()
    {
        using var certificate = Create("nokey.test", DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30), [ServerAuth]);
        using var publicOnly = X509CertificateLoader.LoadCertificate(certificate.Export(X509ContentType.Cert));
        var path = WriteFile(new X509Certificate2Collection(publicOnly).Export(X509ContentType.Pkcs12)!);

        var error = await StartFailingAsync("nokey", new ListenerOptions { UseTls = true, CertificatePath = path });

        error.Message.ShouldContain($"Roadrunner:Listeners:nokey:CertificatePath: the certificate 'CN=nokey.test' (thumbprint {certificate.Thumbprint}) from '{path}' has no private key");
    }

    [Theory]
    [MemberData(nameof(Sources))]
    public async Task An_expired_certificate_is_refused_with_its_end_date(Source source)
    {
        using var certificate = Create("expired.test", DateTimeOffset.UtcNow.AddDays(-30), DateTimeOffset.UtcNow.AddDays(-1), [ServerAuth]);

        var error = await StartFailingAsync("expired", Options(source, certificate));

        error.Message.ShouldContain($"Roadrunner:Listeners:expired:{Key(source)}: the certificate 'CN=expired.test'");
        error.Message.ShouldContain($"expired: it was valid until {Iso(certificate.NotAfter)} (now ");
    }

    [Theory]
    [MemberData(nameof(Sources))]
    public async Task A_certificate_not_valid_yet_is_refused_with_its_start_date(Source source)
    {
        using var certificate = Create("future.test", DateTimeOffset.UtcNow.AddDays(1), DateTimeOffset.UtcNow.AddDays(30), [ServerAuth]);

        var error = await StartFailingAsync("future", Options(source, certificate));

        error.Message.ShouldContain($"Roadrunner:Listeners:future:{Key(source)}: the certificate 'CN=future.test'");
        error.Message.ShouldContain($"is not valid yet: it is valid from {Iso(certificate.NotBefore)}");
    }

    [Theory]
    [MemberData(nameof(Sources))]
    public async Task A_client_authentication_only_certificate_is_refused(Source source)
    {
        using var certificate = Create("client.test", DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30), [ClientAuth]);

        var error = await StartFailingAsync("client", Options(source, certificate));

        error.Message.ShouldContain($"Roadrunner:Listeners:client:{Key(source)}: the certificate 'CN=client.test'");
        error.Message.ShouldContain(ClientAuth);
        error.Message.ShouldContain($"but not Server Authentication ({ServerAuth})");
    }

    [Theory]
    [MemberData(nameof(Sources))]
    public async Task A_certificate_without_an_eku_extension_serves(Source source)
    {
        using var certificate = Create("any-usage.test", DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30), usages: null);

        var info = await _app.Manager.StartAsync("anyusage", Options(source, certificate));

        X509Certificate2? served = null;
        using var client = Net.TlsClient(info.Url, HttpVersion.Version11, c => served = c);
        (await client.GetStringAsync("/")).ShouldBe("listener=anyusage");
        served!.Thumbprint.ShouldBe(certificate.Thumbprint);
    }

    [Fact]
    public async Task The_store_source_is_checked_too_and_prefers_a_certificate_that_can_serve()
    {
        var subject = $"rr-store-{Guid.NewGuid():N}.test";
        using var expired = Create(subject, DateTimeOffset.UtcNow.AddDays(-30), DateTimeOffset.UtcNow.AddDays(-1), [ServerAuth]);
        using var future = Create(subject, DateTimeOffset.UtcNow.AddDays(1), DateTimeOffset.UtcNow.AddDays(60), [ServerAuth]);
        using var valid = Create(subject, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30), [ServerAuth]);
        using var store = new X509Store(StoreName.My, StoreLocation.CurrentUser);
        store.Open(OpenFlags.ReadWrite);
        store.Add(expired);
        try
        {
            var options = new ListenerOptions { UseTls = true, CertificateSubject = subject };
            var error = await StartFailingAsync("store", options);
            error.Message.ShouldContain($"Roadrunner:Listeners:store:CertificateSubject: the certificate 'CN={subject}'");
            error.Message.ShouldContain("from CurrentUser/My expired");

            // The one not valid yet has the latest end date; the one valid now is chosen.
            store.Add(future);
            store.Add(valid);
            var info = await _app.Manager.StartAsync("store", options);
            X509Certificate2? served = null;
            using var client = Net.TlsClient(info.Url, HttpVersion.Version11, c => served = c);
            (await client.GetStringAsync("/")).ShouldBe("listener=store");
            served!.Thumbprint.ShouldBe(valid.Thumbprint);
        }
        finally
        {
            store.Remove(expired);
            store.Remove(future);
            store.Remove(valid);
        }
    }

    [Fact]
    public async Task A_refused_certificate_given_in_code_is_left_to_its_owner()
    {
        using var certificate = Create("mine.test", DateTimeOffset.UtcNow.AddDays(-30), DateTimeOffset.UtcNow.AddDays(-1), [ServerAuth]);

        await StartFailingAsync("mine", new ListenerOptions { UseTls = true, Certificate = certificate });

        certificate.Handle.ShouldNotBe(IntPtr.Zero);
        certificate.HasPrivateKey.ShouldBeTrue();
    }

    [Fact]
    public void A_refused_certificate_loaded_by_the_loader_is_disposed()
    {
        using var valid = Create("loaded.test", DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30), [ServerAuth]);
        var loaded = X509CertificateLoader.LoadPkcs12(valid.Export(X509ContentType.Pfx), password: null);
        var options = new ListenerOptions { UseTls = true, CertificatePath = "/loaded.pfx" };

        // Judged a day after it ends: expired, so refused after loading.
        Should.Throw<OptionsValidationException>(() =>
            CertificateLoader.CreateTlsOptions("loaded", options, valid.NotAfter.ToUniversalTime().AddDays(1), () => loaded, out _))
            .Message.ShouldContain("Roadrunner:Listeners:loaded:CertificatePath:");

        loaded.Handle.ShouldBe(IntPtr.Zero);
    }

    [Fact]
    public void A_refused_code_certificate_is_not_disposed_by_the_loader()
    {
        using var certificate = Create("code.test", DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30), [ServerAuth]);
        var options = new ListenerOptions { UseTls = true, Certificate = certificate };

        // The validator refuses an expired code certificate before the loader runs; judged late here, the loader refuses it too.
        Should.Throw<OptionsValidationException>(() =>
            CertificateLoader.CreateTlsOptions("code", options, certificate.NotAfter.ToUniversalTime().AddDays(1), () => certificate, out _))
            .Message.ShouldContain("Roadrunner:Listeners:code:Certificate: ");

        certificate.Handle.ShouldNotBe(IntPtr.Zero);
    }

    [Fact]
    public void An_accepted_certificate_loaded_by_the_loader_is_handed_to_the_listener()
    {
        using var valid = Create("handed.test", DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30), [ServerAuth]);
        using var loaded = X509CertificateLoader.LoadPkcs12(valid.Export(X509ContentType.Pfx), password: null);
        var options = new ListenerOptions { UseTls = true, CertificatePath = "/handed.pfx" };

        CertificateLoader.CreateTlsOptions("handed", options, DateTimeOffset.UtcNow, () => loaded, out var owned).ShouldNotBeNull();

        owned.ShouldBeSameAs(loaded);
        loaded.Handle.ShouldNotBe(IntPtr.Zero);
    }

    private async Task<OptionsValidationException> StartFailingAsync(string name, ListenerOptions options)
    {
        var error = await Should.ThrowAsync<OptionsValidationException>(() => _app.Manager.StartAsync(name, options));
        error.OptionsName.ShouldBe(name);
        _app.Manager.GetListener(name).ShouldBeNull();
        _app.Manager.Names.ShouldNotContain(name);
        ((ListenerManager)_app.Manager).LiveListenerCount.ShouldBe(0);
        return error;
    }

    private ListenerOptions Options(Source source, X509Certificate2 certificate) => source switch
    {
        Source.Code => new ListenerOptions { UseTls = true, Certificate = certificate },
        _ => new ListenerOptions { UseTls = true, CertificatePath = WriteFile(certificate.Export(X509ContentType.Pfx, "pw")), CertificatePassword = "pw" },
    };

    private static string Key(Source source) => source == Source.Code ? "Certificate" : "CertificatePath";

    private string WriteFile(byte[] contents)
    {
        var path = Path.Combine(Path.GetTempPath(), $"roadrunner-{Guid.NewGuid():N}.pfx");
        File.WriteAllBytes(path, contents);
        _files.Add(path);
        return path;
    }

    private static string Iso(DateTime time) => time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>A self-signed certificate with a private key; <paramref name="usages"/> null means no EKU extension.</summary>
    private static X509Certificate2 Create(string subject, DateTimeOffset notBefore, DateTimeOffset notAfter, string[]? usages)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={subject}", key, HashAlgorithmName.SHA256);
        if (usages is not null)
        {
            var oids = new OidCollection();
            foreach (var usage in usages)
            {
                oids.Add(new Oid(usage));
            }

            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(oids, critical: false));
        }

        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using var created = request.CreateSelfSigned(notBefore, notAfter);

        // Through PKCS#12 so the key is usable by SslStream on every platform.
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pfx), password: null);
    }
}
