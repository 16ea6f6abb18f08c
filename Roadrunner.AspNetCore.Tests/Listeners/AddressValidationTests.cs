using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Options;
using Roadrunner.AspNetCore.Listeners;
using Roadrunner.AspNetCore.Tests.Infrastructure;

namespace Roadrunner.AspNetCore.Tests.Listeners;

public sealed class AddressValidationTests
{
    private static readonly ListenerOptionsValidator Validator = new();

    [Theory]
    [InlineData("0", "would be read as 0.0.0.0")]
    [InlineData("0x0", "would be read as 0.0.0.0")]
    [InlineData("000.000.000.000", "would be read as 0.0.0.0")]
    [InlineData("0.0.0", "would be read as 0.0.0.0")]
    [InlineData("127.1", "would be read as 127.0.0.1")]
    [InlineData("2130706433", "would be read as 127.0.0.1")]
    [InlineData("0x7f.0.0.1", "would be read as 127.0.0.1")]
    [InlineData("127.000.000.001", "would be read as 127.0.0.1")]
    [InlineData("010.0.0.1", "would be read as")]
    [InlineData("256.0.0.1", "is not an IP address literal")]
    [InlineData("1.2.3.4.5", "is not an IP address literal")]
    [InlineData("::ffff:127.0.0.01", "the IPv4 part '127.0.0.01'")]
    [InlineData("[::1]:8080", "the port goes in Port")]
    [InlineData("[::1", "unbalanced brackets")]
    [InlineData("[127.0.0.1]", "is not an IP address literal")]
    [InlineData("fe80::1%no-such-interface", "no network interface 'no-such-interface'")]
    [InlineData("localhost", "is not an IP address literal")]
    [InlineData("example.com", "is not an IP address literal")]
    [InlineData(" 127.0.0.1", "contains white space")]
    [InlineData("127.0.0.1 ", "contains white space")]
    [InlineData("", "it is empty")]
    public void Non_canonical_and_non_ip_addresses_are_rejected_with_the_key_the_value_and_valid_examples(string address, string reason)
    {
        var result = Validator.Validate("t1", new ListenerOptions { Address = address });

        result.Failed.ShouldBeTrue();
        var message = result.Failures.ShouldHaveSingleItem();
        message.ShouldStartWith($"Roadrunner:Listeners:t1:Address: '{address}' is not an IP address literal");
        message.ShouldContain(reason);
        message.ShouldContain("127.0.0.1");
        message.ShouldContain("[::1]");
        message.ShouldContain("Host names are not resolved");
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("0.0.0.0")]
    [InlineData("10.0.0.1")]
    [InlineData("192.168.100.200")]
    [InlineData("255.255.255.255")]
    [InlineData("::1")]
    [InlineData("::")]
    [InlineData("[::1]")]
    [InlineData("[::]")]
    [InlineData("2001:db8::1")]
    [InlineData("0:0:0:0:0:0:0:1")]
    [InlineData("::ffff:127.0.0.1")]
    [InlineData("fe80::1%1")]
    [InlineData("[fe80::1%1]")]
    public void Canonical_ipv4_and_ipv6_literals_are_accepted(string address) =>
        Validator.Validate("t1", new ListenerOptions { Address = address }).Succeeded.ShouldBeTrue();

    [Theory]
    [InlineData("0")]
    [InlineData("0x0")]
    [InlineData("127.1")]
    public async Task Starting_a_listener_on_an_inet_aton_spelling_fails_and_binds_nothing(string address)
    {
        await using var app = await TestApp.StartAsync();

        var error = await Should.ThrowAsync<OptionsValidationException>(() =>
            app.Manager.StartAsync("aton", new ListenerOptions { Address = address }));

        error.OptionsName.ShouldBe("aton");
        error.Message.ShouldContain($"Roadrunner:Listeners:aton:Address: '{address}'");
        app.Manager.GetListener("aton").ShouldBeNull();
        app.Manager.Names.ShouldBeEmpty();
        ((ListenerManager)app.Manager).LiveListenerCount.ShouldBe(0);
    }

    [Fact]
    public async Task A_configured_listener_on_an_inet_aton_spelling_fails_start_up()
    {
        WebApplication? app = null;
        try
        {
            var error = await Should.ThrowAsync<OptionsValidationException>(() => TestApp.StartAsync(
                configuration: new Dictionary<string, string?> { ["Roadrunner:Listeners:cfg:Address"] = "000.000.000.000" },
                configureApp: a => app = a));

            error.Message.ShouldContain("Roadrunner:Listeners:cfg:Address: '000.000.000.000' is not an IP address literal in canonical form");
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
