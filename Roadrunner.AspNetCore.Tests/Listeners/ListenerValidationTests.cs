using Microsoft.Extensions.Options;
using Roadrunner.AspNetCore.Tests.Infrastructure;

namespace Roadrunner.AspNetCore.Tests.Listeners;

public sealed class ListenerValidationTests : IAsyncLifetime
{
    private TestApp _app = null!;

    public async Task InitializeAsync() => _app = await TestApp.StartAsync();

    public async Task DisposeAsync() => await _app.DisposeAsync();

    public static TheoryData<string, Func<ListenerOptions>, string> InvalidOptions => new()
    {
        { "Port", () => new ListenerOptions { Port = -1 }, "Port: must be between 0 and 65535 (got -1)" },
        { "Port", () => new ListenerOptions { Port = 65536 }, "Port: must be between 0 and 65535 (got 65536)" },
        { "Address", () => new ListenerOptions { Address = "not-an-ip" }, "Address: 'not-an-ip' is not an IP address literal" },
        { "Protocols", () => new ListenerOptions { Protocols = ListenerProtocols.Http1AndHttp2 }, "Http1AndHttp2 needs TLS" },
        { "Protocols", () => new ListenerOptions { Protocols = (ListenerProtocols)42 }, "'42' is not one of Http1, Http2, Http1AndHttp2" },
        { "UseTls", () => new ListenerOptions { UseTls = true }, "UseTls: TLS needs a server certificate" },
        { "UseTls", () => new ListenerOptions { CertificatePath = "/etc/hostname" }, "a certificate is configured but UseTls is false" },
        { "CertificatePath", () => new ListenerOptions { UseTls = true, CertificatePath = "/nonexistent/server.pfx" }, "CertificatePath: file '/nonexistent/server.pfx' does not exist" },
        { "MaxConnections", () => new ListenerOptions { MaxConnections = 0 }, "MaxConnections: must be at least 1" },
        { "MaxConnections", () => new ListenerOptions { MaxConnections = -5 }, "MaxConnections: must be at least 1" },
    };

    [Theory]
    [MemberData(nameof(InvalidOptions))]
    public async Task Invalid_options_fail_with_a_message_naming_the_field_and_leave_nothing_behind(string field, Func<ListenerOptions> options, string expected)
    {
        var error = await Should.ThrowAsync<OptionsValidationException>(() => _app.Manager.StartAsync("bad", options()));

        error.Message.ShouldContain($"Roadrunner:Listeners:bad:{field}");
        error.Message.ShouldContain(expected);
        _app.Manager.Names.ShouldBeEmpty();
        (await _app.Manager.StartAsync("bad", new ListenerOptions())).Name.ShouldBe("bad");
    }

    [Fact]
    public async Task Unreadable_certificate_file_fails_with_a_clear_message()
    {
        var path = Path.Combine(Path.GetTempPath(), $"roadrunner-{Guid.NewGuid():N}.pfx");
        await File.WriteAllTextAsync(path, "this is not a certificate");
        try
        {
            var error = await Should.ThrowAsync<OptionsValidationException>(() =>
                _app.Manager.StartAsync("cert", new ListenerOptions { UseTls = true, CertificatePath = path }));

            error.Message.ShouldContain("Roadrunner:Listeners:cert:CertificatePath: cannot load");
            _app.Manager.Names.ShouldBeEmpty();
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Wrong_certificate_password_fails_with_a_clear_message()
    {
        var path = Path.Combine(Path.GetTempPath(), $"roadrunner-{Guid.NewGuid():N}.pfx");
        using var certificate = Net.CreateCertificate("pw-test");
        await File.WriteAllBytesAsync(path, certificate.Export(System.Security.Cryptography.X509Certificates.X509ContentType.Pfx, "right"));
        try
        {
            var error = await Should.ThrowAsync<OptionsValidationException>(() =>
                _app.Manager.StartAsync("pw", new ListenerOptions { UseTls = true, CertificatePath = path, CertificatePassword = "wrong" }));

            error.Message.ShouldContain("CertificatePath: cannot load");
            _app.Manager.Names.ShouldBeEmpty();
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("has space")]
    [InlineData("slash/name")]
    [InlineData("ünïcode")]
    [InlineData("t1\n")]
    [InlineData("\nt1")]
    public async Task Invalid_names_are_argument_errors(string name)
    {
        var error = await Should.ThrowAsync<ArgumentException>(() => _app.Manager.StartAsync(name, new ListenerOptions()));

        error.ParamName.ShouldBe("name");
        error.Message.ShouldContain("[A-Za-z0-9._-]");
        _app.Manager.Names.ShouldBeEmpty();
    }

    [Fact]
    public async Task A_name_longer_than_64_characters_is_an_argument_error()
    {
        await Should.ThrowAsync<ArgumentException>(() => _app.Manager.StartAsync(new string('a', 65), new ListenerOptions()));
        (await _app.Manager.StartAsync(new string('a', 64), new ListenerOptions())).Name.Length.ShouldBe(64);
    }

    [Fact]
    public async Task Null_arguments_are_rejected()
    {
        await Should.ThrowAsync<ArgumentNullException>(() => _app.Manager.StartAsync(null!, new ListenerOptions()));
        await Should.ThrowAsync<ArgumentNullException>(() => _app.Manager.StartAsync("x", null!));
        await Should.ThrowAsync<ArgumentOutOfRangeException>(() => _app.Manager.DrainAsync("x", TimeSpan.FromSeconds(-1)));
    }
}
