using System.Net;
using System.Net.ServerSentEvents;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Roadrunner.AspNetCore;

namespace Roadrunner.AspNetCore.Tests.Infrastructure;

/// <summary>A real Kestrel app with Roadrunner and a set of demo endpoints, on 127.0.0.1 with ephemeral ports.</summary>
public sealed class TestApp : IAsyncDisposable
{
    private TestApp(WebApplication app, LogRecorder logs)
    {
        App = app;
        Logs = logs;
        Manager = app.Services.GetRequiredService<IListenerManager>();
    }

    public WebApplication App { get; }

    public IListenerManager Manager { get; }

    public LogRecorder Logs { get; }

    /// <summary>The ordinary Kestrel endpoint, when one was asked for.</summary>
    public Uri? PlainUrl { get; private set; }

    public static async Task<TestApp> StartAsync(
        Action<WebApplicationBuilder>? configureBuilder = null,
        Action<WebApplication>? configureApp = null,
        IDictionary<string, string?>? configuration = null,
        bool plainEndpoint = false,
        string[]? args = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args ?? [],
            EnvironmentName = "Development",
            ContentRootPath = AppContext.BaseDirectory,
        });
        if (configuration is not null)
        {
            builder.Configuration.AddInMemoryCollection(configuration);
        }

        var logs = new LogRecorder();
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(logs);
        builder.Logging.SetMinimumLevel(LogLevel.Debug);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(10));
        builder.WebHost.UseRoadrunner();
        if (plainEndpoint)
        {
            builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        }

        configureBuilder?.Invoke(builder);

        var app = builder.Build();
        app.UseWebSockets();
        app.UseRoadrunnerDrain();
        MapDemoEndpoints(app);
        configureApp?.Invoke(app);

        await app.StartAsync().ConfigureAwait(false);
        var testApp = new TestApp(app, logs);
        if (plainEndpoint)
        {
            testApp.PlainUrl = new Uri(app.Urls.Single(u => u.StartsWith("http://127.0.0.1:", StringComparison.Ordinal)));
        }

        return testApp;
    }

    /// <summary>Starts a plaintext HTTP/1.1 listener on 127.0.0.1:0 and returns its base URL.</summary>
    public async Task<Uri> StartListenerAsync(string name, ListenerOptions? options = null)
    {
        var info = await Manager.StartAsync(name, options ?? new ListenerOptions()).ConfigureAwait(false);
        return info.Url;
    }

    public static void MapDemoEndpoints(IEndpointRouteBuilder app)
    {
        app.MapGet("/", (HttpContext context) => $"listener={context.GetListenerName()}");

        app.MapGet("/slow", async (int ms, HttpContext context) =>
        {
            await Task.Delay(ms, context.RequestAborted).ConfigureAwait(false);
            return "done";
        });

        app.MapGet("/drain-state", (HttpContext context) =>
        {
            var signal = context.GetDrainSignal();
            return $"{signal.ListenerName}|{signal.IsDraining}|{signal.Deadline?.ToUnixTimeMilliseconds()}";
        });

        // Holds the request open until the drain signal fires, then answers with what it saw.
        app.MapGet("/wait-drain", async (HttpContext context) =>
        {
            var signal = context.GetDrainSignal();
            await context.Response.StartAsync().ConfigureAwait(false);
            await context.Response.Body.FlushAsync().ConfigureAwait(false);
            try
            {
                await Task.Delay(Timeout.Infinite, signal.DrainRequested).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }

            await context.Response.WriteAsync($"drained deadline={signal.Deadline?.ToUnixTimeMilliseconds()}").ConfigureAwait(false);
        });

        app.MapGet("/ack", (HttpContext context) =>
        {
            context.AcknowledgeDrain();
            return "acked";
        });

        app.MapGet("/ack-deadline", (long deadlineMs, HttpContext context) =>
        {
            context.AcknowledgeDrain(DateTimeOffset.FromUnixTimeMilliseconds(deadlineMs));
            return "acked";
        });

        app.MapGet("/longpoll", async (int ms, HttpContext context) =>
        {
            try
            {
                await Task.Delay(ms, context.GetDrainToken()).ConfigureAwait(false);
                return Results.NoContent();
            }
            catch (OperationCanceledException) when (context.GetDrainToken().IsCancellationRequested)
            {
                return RoadrunnerResults.Draining(TimeSpan.FromSeconds(3));
            }
        });

        app.MapGet("/sse", (HttpContext context) =>
            TypedResults.ServerSentEvents(
                Ticks(context.RequestAborted).UntilDrain(
                    context,
                    signal => new SseItem<string>($"{{\"remainingMs\":{(long)(signal.RemainingTime ?? TimeSpan.Zero).TotalMilliseconds}}}", "drain")
                    {
                        ReconnectionInterval = TimeSpan.FromSeconds(2),
                    },
                    context.RequestAborted)));

        app.Map("/ws", async (HttpContext context) =>
        {
            if (!context.WebSockets.IsWebSocketRequest)
            {
                return Results.BadRequest();
            }

            var ignoreDrain = context.Request.Query.ContainsKey("ignoreDrain");
            var socket = await context.AcceptDrainAwareWebSocketAsync().ConfigureAwait(false);
            var buffer = new byte[4096];
            while (true)
            {
                WebSocketReceiveOrDrainResult result;
                try
                {
                    result = ignoreDrain
                        ? new WebSocketReceiveOrDrainResult()
                        : await socket.ReceiveAsync(buffer).ConfigureAwait(false);
                    if (ignoreDrain)
                    {
                        var raw = await socket.WebSocket.ReceiveAsync(buffer.AsMemory(), CancellationToken.None).ConfigureAwait(false);
                        if (raw.MessageType == WebSocketMessageType.Close)
                        {
                            await socket.WebSocket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None).ConfigureAwait(false);
                            break;
                        }

                        await socket.WebSocket.SendAsync(buffer.AsMemory(0, raw.Count), raw.MessageType, raw.EndOfMessage, CancellationToken.None).ConfigureAwait(false);
                        continue;
                    }
                }
                catch (WebSocketException)
                {
                    break;
                }

                if (result.IsDrain)
                {
                    await socket.CloseForDrainAsync("draining").ConfigureAwait(false);
                    break;
                }

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    await socket.WebSocket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None).ConfigureAwait(false);
                    break;
                }

                await socket.WebSocket.SendAsync(buffer.AsMemory(0, result.Count), result.MessageType, result.EndOfMessage, CancellationToken.None).ConfigureAwait(false);
            }

            return Results.Empty;
        });
    }

    private static async IAsyncEnumerable<SseItem<string>> Ticks([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var i = 0;
        while (true)
        {
            yield return new SseItem<string>((i++).ToString(System.Globalization.CultureInfo.InvariantCulture), "tick");
            await Task.Delay(200, cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await App.StopAsync(timeout.Token).ConfigureAwait(false);
        }
        finally
        {
            await App.DisposeAsync().ConfigureAwait(false);
        }
    }
}
