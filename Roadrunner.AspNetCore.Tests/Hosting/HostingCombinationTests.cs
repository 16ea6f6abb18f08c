using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Roadrunner.AspNetCore.Tests.Infrastructure;

namespace Roadrunner.AspNetCore.Tests.Hosting;

/// <summary>
/// Every way an app with Roadrunner can be hosted either serves its listeners over real sockets or refuses to start
/// them with an <see cref="InvalidOperationException"/> that names the cause and the fix. None of them accepts
/// connections that nobody serves (the old failure: StartAsync returned a URL, connects succeeded, requests hung).
/// Every step is bounded, so a regression to "accepts and never serves" fails here instead of hanging the run.
/// </summary>
public sealed partial class HostingCombinationTests
{
    private static readonly EventId ServerUnusable = new(20, "ServerUnusable");
    private static readonly EventId ListenerStarted = new(1, "ListenerStarted");
    private static readonly TimeSpan Step = TimeSpan.FromSeconds(15);

    // (a) WebApplicationFactory's default server is TestServer: no sockets, so Kestrel never binds Roadrunner's
    // placeholders. The example app with its configured listeners removed starts (there is nothing to stop), its
    // ordinary endpoints work through TestServer, and a runtime listener is refused up front.
    [Fact]
    public async Task TestServer_refuses_a_runtime_listener_and_names_TestServer_and_UseKestrel()
    {
        await using var factory = new ExampleFactory(builder =>
            builder.ConfigureServices(services => services.PostConfigure<RoadrunnerOptions>(o => o.Listeners.Clear())));
        await StartServerAsync(factory);

        var manager = factory.Services.GetRequiredService<IListenerManager>();
        var ex = await Should.ThrowAsync<InvalidOperationException>(
            manager.StartAsync("runtime", new ListenerOptions()).WaitAsync(Step));

        ex.Message.ShouldContain("Listener 'runtime' cannot start");
        ex.Message.ShouldContain("Microsoft.AspNetCore.TestHost.TestServer");
        ex.Message.ShouldContain("factory.UseKestrel(");
        manager.Names.ShouldBeEmpty();
        factory.Logs.Entries.ShouldContain(e => IsRoadrunner(e, ServerUnusable) && e.Level == LogLevel.Warning && e.Message.Contains("TestServer", StringComparison.Ordinal));
        factory.Logs.Entries.ShouldNotContain(e => IsRoadrunner(e, ListenerStarted));

        // The rest of the app is unaffected: TestServer still serves the ordinary endpoints, in memory.
        using var client = factory.CreateClient();
        using var response = await client.GetAsync(new Uri("/", UriKind.Relative)).WaitAsync(Step);
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await response.Content.ReadAsStringAsync().WaitAsync(Step)).ShouldContain("listener=(none)");
    }

    // (b) TestServer with configured listeners (the example's admin and public, on port 0): the listeners bind during
    // start-up, then the server check fails, they are stopped, and the factory's start throws.
    [Fact]
    public async Task TestServer_with_configured_listeners_fails_the_factory_start_and_leaves_no_socket_bound()
    {
        await using var factory = new ExampleFactory();

        // Not wrapped: the host rethrows a single failing hosted service's exception as is, and the factory passes it on.
        var ex = await Should.ThrowAsync<InvalidOperationException>(StartServerAsync(factory));

        ex.Message.ShouldContain("Microsoft.AspNetCore.TestHost.TestServer");
        ex.Message.ShouldContain("factory.UseKestrel(");
        factory.Logs.Entries.ShouldContain(e => IsRoadrunner(e, ServerUnusable) && e.Level == LogLevel.Error);

        var bound = StartedListenerUrls(factory.Logs);
        bound.Keys.ShouldBe(["admin", "public"], ignoreOrder: true);
        foreach (var url in bound.Values)
        {
            await ShouldBeFreeAsync(url);
        }
    }

    // (c) UseKestrel() without arguments: real Kestrel, Roadrunner's placeholders bound, listeners serve.
    [Fact]
    public async Task UseKestrel_without_arguments_serves_configured_and_runtime_listeners()
    {
        await using var factory = new ExampleFactory();
        factory.UseKestrel();
        await StartServerAsync(factory);

        await ShouldServeListenersAsync(factory);

        // The app has no ordinary endpoint here, and the factory bases CreateClient() on the last server address, which
        // is one of Roadrunner's placeholders (a name, not a socket). Give Kestrel an endpoint of its own for that: (e).
        using var client = factory.CreateClient();
        client.BaseAddress!.Host.ShouldStartWith("roadrunner-");
    }

    // (d) UseKestrel(0). Mvc.Testing 10.0.15, src/Mvc/Mvc.Testing/src/WebApplicationFactory.cs:
    //     public void UseKestrel(int port) { UseKestrel(); this._kestrelPort = port; }
    //     protected virtual IHost CreateHost(IHostBuilder builder)
    //     { var host = builder.Build(); TryConfigureServerPort(() => GetServerAddressFeature(host)); host.Start(); return host; }
    //     private void TryConfigureServerPort(...)
    //     { if (_kestrelPort.HasValue) { ... saf.Addresses.Clear(); saf.Addresses.Add($"http://127.0.0.1:{_kestrelPort}"); saf.PreferHostingUrls = true; } }
    // With PreferHostingUrls and an address, Kestrel binds only that address and drops every endpoint declared in code,
    // Roadrunner's placeholders included. So UseKestrel(port) cannot serve listeners: the start throws, naming
    // PreferHostingUrls and UseKestrel(options => ...) as the fix.
    [Fact]
    public async Task UseKestrel_with_a_port_sets_PreferHostingUrls_so_the_start_throws_and_names_the_fix()
    {
        await using var factory = new ExampleFactory();
        factory.UseKestrel(0);

        var ex = await Should.ThrowAsync<InvalidOperationException>(StartServerAsync(factory));

        ex.Message.ShouldContain("PreferHostingUrls is true");
        ex.Message.ShouldContain("WebApplicationFactory.UseKestrel(port)");
        ex.Message.ShouldContain("factory.UseKestrel(options => ...)");
        factory.Logs.Entries.ShouldContain(e => IsRoadrunner(e, ServerUnusable) && e.Level == LogLevel.Error && e.Message.Contains("PreferHostingUrls", StringComparison.Ordinal));

        var bound = StartedListenerUrls(factory.Logs);
        bound.Keys.ShouldBe(["admin", "public"], ignoreOrder: true);
        foreach (var url in bound.Values)
        {
            await ShouldBeFreeAsync(url);
        }

        // Kestrel did bind the factory's http://127.0.0.1:0; the app's failed Run() disposed the host, closing it too.
        var serverUrl = factory.Logs.Entries.Single(e => e.EventId.Name == "ListeningOnAddress").Message.Split(' ')[^1];
        serverUrl.ShouldStartWith("http://127.0.0.1:");
        await ShouldBeFreeAsync(new Uri(serverUrl));
    }

    // (e) UseKestrel(options => options.Listen(...)): Kestrel keeps the endpoints declared in code, Roadrunner's
    // placeholders included; listeners serve, and factory.CreateClient() talks to the test's own endpoint.
    [Fact]
    public async Task UseKestrel_with_options_serves_listeners_and_the_ordinary_endpoint()
    {
        await using var factory = new ExampleFactory();
        factory.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        await StartServerAsync(factory);

        await ShouldServeListenersAsync(factory);

        using var client = factory.CreateClient();
        client.BaseAddress!.Host.ShouldBe("127.0.0.1");
        using var response = await client.GetAsync(new Uri("/", UriKind.Relative)).WaitAsync(Step);
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await response.Content.ReadAsStringAsync().WaitAsync(Step)).ShouldContain("listener=(none)");
    }

    // (f) Production with PreferHostingUrls (here the 'preferHostingUrls' setting; ASPNETCORE_PREFERHOSTINGURLS=true
    // is the same key) and --urls: Kestrel binds the URL only. The app starts and serves that URL, but a runtime
    // listener is refused with the PreferHostingUrls message, and the Error log says why.
    [Fact]
    public async Task PreferHostingUrls_in_production_refuses_a_runtime_listener_and_logs_the_cause()
    {
        await using var app = await TestApp.StartAsync(
            configureBuilder: builder => builder.WebHost.UseSetting("preferHostingUrls", "true"),
            args: ["--urls", "http://127.0.0.1:0"]).WaitAsync(Step);

        var ex = await Should.ThrowAsync<InvalidOperationException>(
            app.Manager.StartAsync("runtime", new ListenerOptions()).WaitAsync(Step));

        ex.Message.ShouldContain("Listener 'runtime' cannot start");
        ex.Message.ShouldContain("PreferHostingUrls is true");
        ex.Message.ShouldContain("ASPNETCORE_PREFERHOSTINGURLS");
        ex.Message.ShouldContain("Turn it off");
        app.Manager.Names.ShouldBeEmpty();
        app.Logs.Entries.ShouldContain(e => IsRoadrunner(e, ServerUnusable) && e.Level == LogLevel.Warning && e.Message.Contains("PreferHostingUrls", StringComparison.Ordinal));

        // The server URL itself is served: only Roadrunner's endpoints were dropped.
        var serverUrl = new Uri(app.App.Urls.Single(u => u.StartsWith("http://127.0.0.1:", StringComparison.Ordinal)));
        using var client = Net.Client(serverUrl);
        using var response = await client.GetAsync(new Uri("/", UriKind.Relative)).WaitAsync(Step);
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    // (f, with configured listeners) The same host with a listener in configuration: start-up itself fails, and the
    // listener that had bound is stopped again.
    [Fact]
    public async Task PreferHostingUrls_with_a_configured_listener_fails_start_up_and_frees_its_port()
    {
        var logs = new LogRecorder();
        WebApplication? started = null;
        var ex = await Should.ThrowAsync<InvalidOperationException>(
            TestApp.StartAsync(
                configureBuilder: builder =>
                {
                    builder.WebHost.UseSetting("preferHostingUrls", "true");
                    builder.Logging.AddProvider(logs);
                },
                configureApp: app => started = app,
                configuration: new Dictionary<string, string?> { ["Roadrunner:Listeners:configured:Port"] = "0" },
                args: ["--urls", "http://127.0.0.1:0"]).WaitAsync(Step));

        try
        {
            ex.Message.ShouldContain("PreferHostingUrls is true");
            logs.Entries.ShouldContain(e => IsRoadrunner(e, ServerUnusable) && e.Level == LogLevel.Error);
            var bound = StartedListenerUrls(logs);
            bound.Keys.ShouldBe(["configured"]);
            await ShouldBeFreeAsync(bound["configured"]);
        }
        finally
        {
            // Host.StartAsync leaves a failed host to its caller: stop Kestrel's server URL socket too.
            if (started is not null)
            {
                await started.DisposeAsync().AsTask().WaitAsync(Step);
            }
        }
    }

    // (b, a client that is early) A connection a configured listener accepted before the server check (here: from a
    // hosted service that starts after Roadrunner's) can never be served either. It must be closed, not left queued.
    [Fact]
    public async Task A_connection_accepted_before_the_server_check_is_closed_when_the_check_fails()
    {
        var early = new EarlyClient("configured");
        WebApplication? started = null;
        await Should.ThrowAsync<InvalidOperationException>(
            TestApp.StartAsync(
                configureBuilder: builder =>
                {
                    builder.WebHost.UseTestServer();
                    builder.Services.AddHostedService(services => early.With(services.GetRequiredService<IListenerManager>()));
                },
                configureApp: app => started = app,
                configuration: new Dictionary<string, string?> { ["Roadrunner:Listeners:configured:Port"] = "0" }).WaitAsync(Step));

        try
        {
            using var socket = early.Socket.ShouldNotBeNull();
            (await IsClosedWithinAsync(socket, TimeSpan.FromSeconds(5)))
                .ShouldBeTrue("the listener accepted the connection, then the server check stopped the listener, and the connection stayed open with nobody to serve it");
        }
        finally
        {
            if (started is not null)
            {
                await started.DisposeAsync().AsTask().WaitAsync(Step);
            }
        }
    }

    private static async Task ShouldServeListenersAsync(ExampleFactory factory)
    {
        var manager = factory.Services.GetRequiredService<IListenerManager>();
        var runtime = await manager.StartAsync("runtime", new ListenerOptions()).WaitAsync(Step);
        var urls = new Dictionary<string, Uri>
        {
            ["admin"] = manager.GetListener("admin")!.Url,
            ["public"] = manager.GetListener("public")!.Url,
            ["runtime"] = runtime.Url,
        };

        foreach (var (name, url) in urls)
        {
            url.Host.ShouldBe("127.0.0.1");
            url.Port.ShouldBeGreaterThan(0);
            using var client = Net.Client(url);
            using var response = await client.GetAsync(new Uri("/", UriKind.Relative)).WaitAsync(Step);
            response.StatusCode.ShouldBe(HttpStatusCode.OK);
            (await response.Content.ReadAsStringAsync().WaitAsync(Step)).ShouldContain($"listener={name}");
        }

        factory.Logs.Entries.ShouldNotContain(e => IsRoadrunner(e, ServerUnusable));
    }

    /// <summary>The factory start is synchronous; run it off the test thread so that a hang fails the step.</summary>
    private static Task StartServerAsync(WebApplicationFactory<Program> factory) =>
        Task.Run(factory.StartServer).WaitAsync(Step);

    /// <summary>The URL each listener actually bound, from its ListenerStarted log line (port 0 resolved).</summary>
    private static Dictionary<string, Uri> StartedListenerUrls(LogRecorder logs)
    {
        var lines = logs.Entries.Where(e => IsRoadrunner(e, ListenerStarted)).Select(e => StartedLine().Match(e.Message)).ToList();
        lines.ShouldAllBe(m => m.Success);
        return lines.ToDictionary(m => m.Groups["name"].Value, m => new Uri(m.Groups["url"].Value));
    }

    private static bool IsRoadrunner(LogRecorder.LogEntry entry, EventId id) =>
        entry.Category.StartsWith("Roadrunner.AspNetCore", StringComparison.Ordinal) &&
        entry.EventId.Id == id.Id && entry.EventId.Name == id.Name; // EventId equality compares the id only.

    /// <summary>Nothing listens on the port any more: a connect is refused, and a new socket can bind it.</summary>
    private static async Task ShouldBeFreeAsync(Uri url)
    {
        (await Net.IsRefusedAsync(url).WaitAsync(Step)).ShouldBeTrue($"a connect to {url} was accepted");
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, url.Port));
        probe.Listen();
    }

    /// <summary>True when the peer closes or resets the connection within <paramref name="timeout"/>; false when it stays open.</summary>
    private static async Task<bool> IsClosedWithinAsync(Socket socket, TimeSpan timeout)
    {
        var buffer = new byte[4096];
        try
        {
            while (true)
            {
                if (await socket.ReceiveAsync(buffer, SocketFlags.None).WaitAsync(timeout) == 0)
                {
                    return true;
                }
            }
        }
        catch (SocketException)
        {
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    [GeneratedRegex(@"^Listener '(?<name>[^']+)' started on (?<url>\S+) \(")]
    private static partial Regex StartedLine();

    /// <summary>A hosted service that connects to a listener during start-up and sends a request, before the server check.</summary>
    private sealed class EarlyClient(string listenerName) : IHostedService
    {
        private IListenerManager? _manager;

        public Socket? Socket { get; private set; }

        public EarlyClient With(IListenerManager manager)
        {
            _manager = manager;
            return this;
        }

        public async Task StartAsync(CancellationToken cancellationToken)
        {
            var url = _manager!.GetListener(listenerName).ShouldNotBeNull().Url;
            Socket = await Net.ConnectAsync(url);
            await Socket.SendAsync("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"u8.ToArray(), SocketFlags.None, cancellationToken).AsTask().WaitAsync(Step, cancellationToken);

            // The listener has accepted it (and queued it for the server) before the check runs.
            (await Net.EventuallyAsync(() => _manager.GetListener(listenerName)!.ActiveConnections == 1)).ShouldBeTrue();
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    /// <summary>The example app (WebApplicationFactory&lt;Program&gt;) with its listeners on port 0 and its logs recorded.</summary>
    private sealed class ExampleFactory(Action<IWebHostBuilder>? configure = null) : WebApplicationFactory<Program>
    {
        public LogRecorder Logs { get; } = new();

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseSetting("Roadrunner:Listeners:admin:Port", "0");
            builder.UseSetting("Roadrunner:Listeners:public:Port", "0");
            builder.ConfigureServices(services => services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(5)));
            builder.ConfigureLogging(logging =>
            {
                logging.ClearProviders();
                logging.AddProvider(Logs);
            });
            configure?.Invoke(builder);
        }
    }
}
