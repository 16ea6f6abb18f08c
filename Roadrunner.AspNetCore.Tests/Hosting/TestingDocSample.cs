// <testing-doc>
using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Roadrunner.AspNetCore;

// </testing-doc>
namespace Roadrunner.AspNetCore.Tests.Hosting.TestingDoc;

// The C# block of docs/testing.md ("Testing your app") is the two pieces marked testing-doc, joined
// (Docs/ReadmeSnippetTests compares them). Program is the example app's (examples/Roadrunner.Example), as it would be yours.

// <testing-doc>
public sealed class AppFactory : WebApplicationFactory<Program>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        // Configured listeners on ports the OS picks: tests never clash with each other or with a running copy.
        builder.UseSetting("Roadrunner:Listeners:admin:Port", "0");
        builder.UseSetting("Roadrunner:Listeners:public:Port", "0");
    }
}

public sealed class ListenerTests
{
    [Fact]
    public async Task Listeners_answer_over_real_sockets()
    {
        await using var factory = new AppFactory();

        // Real Kestrel instead of TestServer, before the first CreateClient(), Services or StartServer().
        // Options, not a port: UseKestrel(port) sets PreferHostingUrls, and Kestrel then drops Roadrunner's endpoints.
        factory.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        factory.StartServer();

        var listeners = factory.Services.GetRequiredService<IListenerManager>();
        var admin = listeners.GetListener("admin")!.Url;                              // configured: http://127.0.0.1:<port>
        var extra = (await listeners.StartAsync("extra", new ListenerOptions())).Url; // started by the test

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) }; // a request never hangs a test run
        (await http.GetAsync(admin)).EnsureSuccessStatusCode();
        (await http.GetAsync(extra)).EnsureSuccessStatusCode();

        // The Listen(...) endpoint is an ordinary Kestrel one: factory.CreateClient() talks to it.
        using var client = factory.CreateClient();
        (await client.GetAsync(new Uri("/", UriKind.Relative))).EnsureSuccessStatusCode();
    }
}
// </testing-doc>
