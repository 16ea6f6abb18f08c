using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Roadrunner.AspNetCore.Tests.Infrastructure;

namespace Roadrunner.AspNetCore.Tests.Hosting;

public sealed class ServerUrlBindingTests
{
    private static readonly string[] Placeholders = ["http://roadrunner-http1", "http://roadrunner-h2c", "https://roadrunner-tls"];

    [Fact]
    public async Task A_unix_socket_url_binds_the_socket_file_and_no_tcp_port()
    {
        var path = Path.Combine(Path.GetTempPath(), $"rr-{Guid.NewGuid():N}.sock");
        try
        {
            await using var app = await TestApp.StartAsync(args: [$"--urls=http://unix:{path}"]);

            File.Exists(path).ShouldBeTrue();
            ServerUrls(app).ShouldBe([$"http://unix:{path}"]);
            using var client = Net.Client(new Uri("http://localhost"), configure: handler => handler.ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            });
            (await client.GetStringAsync("/")).ShouldBe("listener=");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("http://127.0.0.1:0", "http://127.0.0.1:")]
    [InlineData("http://[::1]:0", "http://[::1]:")]
    public async Task An_ip_literal_url_binds_that_address_only(string url, string boundPrefix)
    {
        await using var app = await TestApp.StartAsync(args: [$"--urls={url}"]);

        var bound = ServerUrls(app).ShouldHaveSingleItem();
        bound.ShouldStartWith(boundPrefix);
        var uri = new Uri(bound);
        uri.Port.ShouldBeGreaterThan(0);
        using var client = Net.Client(uri);
        (await client.GetStringAsync("/")).ShouldBe("listener=");
    }

    [Fact]
    public async Task An_https_url_serves_with_the_default_certificate()
    {
        var path = Path.Combine(Path.GetTempPath(), $"rr-{Guid.NewGuid():N}.pfx");
        using var certificate = Net.CreateCertificate("default.test");
        await File.WriteAllBytesAsync(path, certificate.Export(X509ContentType.Pfx, "pw"));
        try
        {
            await using var app = await TestApp.StartAsync(
                args: ["--urls=https://127.0.0.1:0"],
                configuration: new Dictionary<string, string?>
                {
                    ["Kestrel:Certificates:Default:Path"] = path,
                    ["Kestrel:Certificates:Default:Password"] = "pw",
                });

            var bound = ServerUrls(app).ShouldHaveSingleItem();
            bound.ShouldStartWith("https://127.0.0.1:");
            X509Certificate2? served = null;
            using var client = Net.TlsClient(new Uri(bound), HttpVersion.Version11, c => served = c);
            (await client.GetStringAsync("/")).ShouldBe("listener=");
            served!.Thumbprint.ShouldBe(certificate.Thumbprint);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task A_host_name_url_binds_every_interface_as_in_kestrel_with_a_warning()
    {
        await using var app = await TestApp.StartAsync(args: ["--urls=http://rr-test.invalid:0"]);

        ServerUrls(app).ShouldHaveSingleItem().ShouldStartWith("http://[::]:");
        app.Logs.Entries.ShouldContain(e => e.Level == LogLevel.Warning
            && e.EventId.Name == "ServerUrlBindsAnyIP"
            && e.Message.Contains("'rr-test.invalid'", StringComparison.Ordinal));
    }

    public static TheoryData<string, string> UnbindableUrls()
    {
        var data = new TheoryData<string, string>
        {
            { "http://127.0.0.1:0/api", "app.UsePathBase(\"/api\")" },
            { "ftp://127.0.0.1:0", "not 'ftp'" },
            { "http://127.0.0.1:abc", "'127.0.0.1:abc' is neither an IP address nor a host name" },
            { "http://127.0.0.1:70000", "port 70000 is not between 0 and 65535" },
            { "http://[::1]:99999999999", "'[::1]:99999999999' is neither an IP address nor a host name" },
            { "http://unix:relative.sock", "'unix:relative.sock' is neither an IP address nor a host name" },
            { "127.0.0.1:0", "Invalid url" },

            // Kestrel refuses it as well, but without naming the setting.
            { "http://localhost:0", "http://127.0.0.1:0 or http://[::1]:0" },
        };
        if (!OperatingSystem.IsWindows())
        {
            data.Add("http://pipe:/rr-test", "named pipes are served by Kestrel on Windows only");
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(UnbindableUrls))]
    public async Task A_url_that_cannot_be_bound_fails_start_up_naming_the_url_the_setting_and_the_fix(string url, string reason)
    {
        var error = await StartFailingAsync(args: [$"--urls={url}"]);

        error.Message.ShouldContain($"Cannot bind server URL '{url}' from the 'urls' setting");
        error.Message.ShouldContain(reason);
    }

    [Fact]
    public async Task A_port_in_http_ports_that_is_not_a_number_fails_start_up_naming_that_setting()
    {
        var error = await StartFailingAsync(configuration: new Dictionary<string, string?> { ["http_ports"] = "eighty" });

        error.Message.ShouldContain("Cannot bind server URL 'http://*:eighty' from the 'http_ports' setting (ASPNETCORE_HTTP_PORTS)");
        error.Message.ShouldContain("'*:eighty' is neither an IP address nor a host name");
    }

    /// <summary>The addresses Kestrel reports, without Roadrunner's placeholders.</summary>
    private static List<string> ServerUrls(TestApp app) =>
        [.. app.App.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Except(Placeholders)];

    private static async Task<InvalidOperationException> StartFailingAsync(string[]? args = null, IDictionary<string, string?>? configuration = null)
    {
        WebApplication? app = null;
        try
        {
            return await Should.ThrowAsync<InvalidOperationException>(() =>
                TestApp.StartAsync(args: args, configuration: configuration, configureApp: a => app = a));
        }
        finally
        {
            if (app is not null)
            {
                await app.DisposeAsync();
            }
        }
    }
}
