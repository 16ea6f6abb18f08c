using Microsoft.Extensions.Options;
using Roadrunner.AspNetCore.Tests.Infrastructure;

namespace Roadrunner.AspNetCore.Tests.ProxyProtocol;

/// <summary>PROXY protocol options: validation messages name the key and the fix; configuration starts a listener with them.</summary>
public sealed class ProxyProtocolValidationTests : IAsyncLifetime
{
    private TestApp _app = null!;

    public async Task InitializeAsync() => _app = await TestApp.StartAsync(configuration: new Dictionary<string, string?>
    {
        ["Roadrunner:Listeners:from-config:ProxyProtocol"] = "V2",
        ["Roadrunner:Listeners:from-config:TrustedProxies:0"] = "127.0.0.1",
        ["Roadrunner:Listeners:from-config:TrustedProxies:1"] = "10.0.0.0/8",
        ["Roadrunner:Listeners:from-config:ProxyProtocolHeaderTimeout"] = "00:00:02",
    });

    public async Task DisposeAsync() => await _app.DisposeAsync();

    public static TheoryData<ListenerOptions, string> Invalid => new()
    {
        { new() { ProxyProtocol = ProxyProtocolMode.V1, TrustedProxies = ["10.0.0.0/8", "10.0.0.1/8"] }, "Roadrunner:Listeners:bad:TrustedProxies:1: '10.0.0.1/8' is not a CIDR network: the prefix length must be 0–32 and the address must have no bits set after it" },
        { new() { ProxyProtocol = ProxyProtocolMode.V1, TrustedProxies = ["proxy.internal"] }, "Roadrunner:Listeners:bad:TrustedProxies:0: 'proxy.internal' is not an IP address or CIDR network" },
        { new() { ProxyProtocol = ProxyProtocolMode.V1, TrustedProxies = [""] }, "Roadrunner:Listeners:bad:TrustedProxies:0: '' is empty" },
        { new() { TrustedProxies = ["10.0.0.0/8"] }, "Roadrunner:Listeners:bad:TrustedProxies: applies only with ProxyProtocol V1, V2 or Any" },
        { new() { ProxyProtocolHeaderTimeout = TimeSpan.FromSeconds(1) }, "Roadrunner:Listeners:bad:ProxyProtocolHeaderTimeout: applies only with ProxyProtocol" },
        { new() { ProxyProtocol = ProxyProtocolMode.V2, ProxyProtocolHeaderTimeout = TimeSpan.Zero }, "Roadrunner:Listeners:bad:ProxyProtocolHeaderTimeout: must be more than 0 and at most 00:05:00" },
        { new() { ProxyProtocol = (ProxyProtocolMode)9 }, "Roadrunner:Listeners:bad:ProxyProtocol: '9' is not one of Off, V1, V2, Any." },
        { new() { Address = "unix:/tmp/rr-v.sock", ProxyProtocol = ProxyProtocolMode.V2, TrustedProxies = ["127.0.0.1"] }, "Roadrunner:Listeners:bad:TrustedProxies: a Unix domain socket peer has no IP address" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public async Task Invalid_options_name_the_key_and_leave_nothing_behind(ListenerOptions options, string message)
    {
        var error = await Should.ThrowAsync<OptionsValidationException>(() => _app.Manager.StartAsync("bad", options));
        error.Message.ShouldContain(message);
        _app.Manager.GetListener("bad").ShouldBeNull();
    }

    [Fact]
    public async Task A_listener_from_configuration_reads_the_header_and_refuses_what_has_none()
    {
        var info = _app.Manager.GetListener("from-config")!;
        info.ProxyProtocol.ShouldBe(ProxyProtocolMode.V2);
        using var socket = await Net.ConnectAsync(info.Url);
        await socket.SendAsync(ProxyHeaders.V2(new(System.Net.IPAddress.Parse("203.0.113.9"), 1000), new(System.Net.IPAddress.Loopback, 80)));
        (await Net.SendRawAsync(socket, "/").WaitAsync(TimeSpan.FromSeconds(20))).ShouldContain("listener=from-config");

        using var plain = await Net.ConnectAsync(info.Url);
        (await Net.SendRawAsync(plain, "/").WaitAsync(TimeSpan.FromSeconds(20))).ShouldBeEmpty();
        _app.Manager.GetListener("from-config")!.ProxyProtocolRejected.ShouldBe(1);
    }
}
