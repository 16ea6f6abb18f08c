using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Roadrunner.AspNetCore.Tests.Example;

/// <summary>
/// The example app (examples/Roadrunner.Example) on real Kestrel sockets: both configured listeners on
/// 127.0.0.1:0, plus one ordinary Kestrel endpoint on 127.0.0.1:0. Clients talk to it over the network only.
/// </summary>
public sealed class ExampleApp : IAsyncDisposable
{
    private readonly Factory _factory;

    private ExampleApp(Factory factory)
    {
        _factory = factory;
        Manager = factory.Services.GetRequiredService<IListenerManager>();
        AdminUrl = Manager.GetListener("admin")!.Url;
        PublicUrl = Manager.GetListener("public")!.Url;
        var addresses = factory.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses;
        PlainUrl = new Uri(addresses.Single(a => a.StartsWith("http://127.0.0.1:", StringComparison.Ordinal)));
    }

    public IListenerManager Manager { get; }

    public IServiceProvider Services => _factory.Services;

    /// <summary>The 'admin' listener (the admin API lives here).</summary>
    public Uri AdminUrl { get; }

    /// <summary>The 'public' listener.</summary>
    public Uri PublicUrl { get; }

    /// <summary>The ordinary Kestrel endpoint the test added; not a Roadrunner listener.</summary>
    public Uri PlainUrl { get; }

    /// <summary>Everything the app logged, as "Category|Level|Message".</summary>
    public IReadOnlyCollection<string> Logs => _factory.Logs;

    public static ExampleApp Start(string? apiKey = null)
    {
        var factory = new Factory(apiKey);
        factory.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        factory.StartServer();
        return new ExampleApp(factory);
    }

    /// <summary>A client for the admin API (with the key, when given).</summary>
    public HttpClient Admin(string? apiKey = null)
    {
        var client = Client(AdminUrl);
        if (apiKey is not null)
        {
            client.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        }

        return client;
    }

    public static HttpClient Client(Uri baseAddress) =>
        new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
        {
            BaseAddress = baseAddress,
            Timeout = TimeSpan.FromSeconds(30),
        };

    /// <summary>Stops the host (draining every listener within the 5 s shutdown timeout) and disposes it.</summary>
    public ValueTask DisposeAsync() => _factory.DisposeAsync();

    private sealed class Factory(string? apiKey) : WebApplicationFactory<Program>
    {
        public ConcurrentQueue<string> Logs { get; } = new();

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseSetting("Roadrunner:Listeners:admin:Port", "0");
            builder.UseSetting("Roadrunner:Listeners:public:Port", "0");
            if (apiKey is not null)
            {
                builder.UseSetting("Admin:ApiKey", apiKey);
            }

            builder.ConfigureServices(services => services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(5)));
            builder.ConfigureLogging(logging =>
            {
                logging.ClearProviders();
                logging.AddProvider(new QueueLoggerProvider(Logs));
            });
        }
    }

    private sealed class QueueLoggerProvider(ConcurrentQueue<string> queue) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new QueueLogger(queue, categoryName);

        public void Dispose()
        {
        }

        private sealed class QueueLogger(ConcurrentQueue<string> queue, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                queue.Enqueue($"{category}|{logLevel}|{formatter(state, exception)}");
        }
    }
}
