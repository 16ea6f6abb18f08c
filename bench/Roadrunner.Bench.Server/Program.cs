// The benchmark server. One process, the same /hello on:
//   plain-h1 / plain-h2c / plain-tls   ordinary Kestrel endpoints (Listen(IPAddress.Loopback, 0))
//   rr-h1 / rr-h2c / rr-tls            Roadrunner listeners started at runtime, same protocols
//   rr-proxy-v2 / rr-tls-proxy-v2      like rr-h1 / rr-tls, every connection starting with a PROXY v2 header
//   rr-limits                          rr-h1 with every per-listener limit set generously
//   rr-drain                           Roadrunner HTTP/1.1 listener whose requests go through UseRoadrunnerDrain()
//   rr-probe / rr-probe0               like rr-drain / rr-h1, with a thread allocation counter read right before
//                                      and right after the drain middleware (rr-probe0: nothing in between)
// The URLs are printed as one JSON line on stdout. Control endpoints under /control/ start, drain and stop more
// listeners and report memory and allocation counters. The process exits when stdin closes (its runner died) or
// on POST /control/shutdown.
using System.Collections.Concurrent;
using System.Net;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Roadrunner.AspNetCore;
using Roadrunner.Bench.Server;

var certificate = SelfSigned.Create();
DrainTimeline.Install();
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(3));
builder.WebHost.UseRoadrunner(o =>
{
    o.BindServerUrls = false;
    o.ShutdownDrainMargin = TimeSpan.FromSeconds(1);
});

ListenOptions? plainH1 = null, plainH2c = null, plainTls = null;
builder.WebHost.ConfigureKestrel(kestrel =>
{
    kestrel.Listen(IPAddress.Loopback, 0, o =>
    {
        o.Protocols = HttpProtocols.Http1;
        plainH1 = o;
    });
    kestrel.Listen(IPAddress.Loopback, 0, o =>
    {
        o.Protocols = HttpProtocols.Http2;
        plainH2c = o;
    });
    kestrel.Listen(IPAddress.Loopback, 0, o =>
    {
        o.Protocols = HttpProtocols.Http1;
        o.UseHttps(certificate);
        plainTls = o;
    });
});

var app = builder.Build();

// The branches are chosen by the local port: one read of a feature Kestrel keeps in a field, the same for every
// arm of every comparison. Ports are filled in once the listeners are bound.
app.UseWhen(
    context => context.Connection.LocalPort == Ports.Probe,
    branch =>
    {
        branch.Use(AllocationProbe.Before);
        branch.UseRoadrunnerDrain();
        branch.Use(AllocationProbe.After);
    });
app.UseWhen(
    context => context.Connection.LocalPort == Ports.Probe0,
    branch =>
    {
        branch.Use(AllocationProbe.Before);
        branch.Use(AllocationProbe.After);
    });
app.UseWhen(context => context.Connection.LocalPort == Ports.Drain, branch => branch.UseRoadrunnerDrain());

// /hello: a terminal middleware writing 13 bytes, so the per-request work outside the server and the adapter is as
// small as it gets and any overhead shows at its largest.
app.Use(Hello.Handle);

app.UseWebSockets();
app.UseRouting();
app.Map("/ws", WebSocketEcho.HandleAsync);
Control.Map(app, certificate);

await app.StartAsync();

var manager = app.Services.GetRequiredService<IListenerManager>();
var rrH1 = await manager.StartAsync("rr-h1", new ListenerOptions());
var rrDrain = await manager.StartAsync("rr-drain", new ListenerOptions());
var rrProbe = await manager.StartAsync("rr-probe", new ListenerOptions());
var rrProbe0 = await manager.StartAsync("rr-probe0", new ListenerOptions());
var rrH2c = await manager.StartAsync("rr-h2c", new ListenerOptions { Protocols = ListenerProtocols.Http2 });
var rrTls = await manager.StartAsync("rr-tls", new ListenerOptions { UseTls = true, Certificate = certificate, Protocols = ListenerProtocols.Http1 });
var rrLimits = await manager.StartAsync("rr-limits", BenchLimits.EveryLimitGenerous());
var rrProxyV2 = await manager.StartAsync("rr-proxy-v2", new ListenerOptions { ProxyProtocol = ProxyProtocolMode.V2, TrustedProxies = ["127.0.0.0/8"] });
var rrTlsProxyV2 = await manager.StartAsync("rr-tls-proxy-v2", new ListenerOptions
{
    UseTls = true,
    Certificate = certificate,
    Protocols = ListenerProtocols.Http1,
    ProxyProtocol = ProxyProtocolMode.V2,
    TrustedProxies = ["127.0.0.0/8"],
});
Ports.Drain = rrDrain.EndPoint.Port;
Ports.Probe = rrProbe.EndPoint.Port;
Ports.Probe0 = rrProbe0.EndPoint.Port;

static string Url(string scheme, ListenOptions? options) => $"{scheme}://127.0.0.1:{options!.IPEndPoint!.Port}";

var urls = new Dictionary<string, object>
{
    ["pid"] = Environment.ProcessId,
    ["plainH1"] = Url("http", plainH1),
    ["plainH2c"] = Url("http", plainH2c),
    ["plainTls"] = Url("https", plainTls),
    ["rrH1"] = rrH1.Url.ToString().TrimEnd('/'),
    ["rrDrain"] = rrDrain.Url.ToString().TrimEnd('/'),
    ["rrProbe"] = rrProbe.Url.ToString().TrimEnd('/'),
    ["rrProbe0"] = rrProbe0.Url.ToString().TrimEnd('/'),
    ["rrH2c"] = rrH2c.Url.ToString().TrimEnd('/'),
    ["rrTls"] = rrTls.Url.ToString().TrimEnd('/'),
    ["rrLimits"] = rrLimits.Url.ToString().TrimEnd('/'),
    ["rrProxyV2"] = rrProxyV2.Url.ToString().TrimEnd('/'),
    ["rrTlsProxyV2"] = rrTlsProxyV2.Url.ToString().TrimEnd('/'),
    ["certificateThumbprint"] = certificate.Thumbprint,
    ["gc"] = System.Runtime.GCSettings.IsServerGC ? "server" : "workstation",
};
Console.Out.WriteLine(JsonSerializer.Serialize(urls));
Console.Out.Flush();

// Exit when the runner goes away (stdin closes) or asks to.
var lifetime = app.Services.GetRequiredService<IHostApplicationLifetime>();
_ = Task.Run(async () =>
{
    await Console.In.ReadToEndAsync();
    lifetime.StopApplication();
});
await app.WaitForShutdownAsync();

namespace Roadrunner.Bench.Server
{
    /// <summary>Local ports that select the pipeline branches.</summary>
    internal static class Ports
    {
        public static int Drain { get; set; } = -1;

        public static int Probe { get; set; } = -1;

        public static int Probe0 { get; set; } = -1;
    }

    internal static class Hello
    {
        private static readonly byte[] Body = "Hello, World!"u8.ToArray();

        public static Task Handle(HttpContext context, RequestDelegate next)
        {
            if (!string.Equals(context.Request.Path.Value, "/hello", StringComparison.Ordinal))
            {
                return next(context);
            }

            var response = context.Response;
            response.StatusCode = 200;
            response.ContentType = "text/plain";
            response.ContentLength = Body.Length;
            return response.Body.WriteAsync(Body, 0, Body.Length);
        }
    }

    /// <summary>
    /// Bytes allocated on the request's thread between <see cref="Before"/> and <see cref="After"/>: exactly the
    /// middleware in between (it runs synchronously up to its call of the next delegate). Counted separately for a
    /// connection's first request and for the later ones.
    /// </summary>
    internal static class AllocationProbe
    {
        [ThreadStatic]
        private static long t_before;

        private static readonly ConcurrentDictionary<string, bool> s_connections = new();
        private static long s_firstRequests;
        private static long s_firstBytes;
        private static long s_laterRequests;
        private static long s_laterBytes;
        private static long s_maxLaterBytes;

        public static Task Before(HttpContext context, RequestDelegate next)
        {
            t_before = GC.GetAllocatedBytesForCurrentThread();
            return next(context);
        }

        public static Task After(HttpContext context, RequestDelegate next)
        {
            var bytes = GC.GetAllocatedBytesForCurrentThread() - t_before;

            // Bookkeeping after the read: what it allocates is not counted.
            if (s_connections.TryAdd(context.Connection.Id, true))
            {
                Interlocked.Increment(ref s_firstRequests);
                Interlocked.Add(ref s_firstBytes, bytes);
            }
            else
            {
                Interlocked.Increment(ref s_laterRequests);
                Interlocked.Add(ref s_laterBytes, bytes);
                long max;
                while (bytes > (max = Interlocked.Read(ref s_maxLaterBytes)) && Interlocked.CompareExchange(ref s_maxLaterBytes, bytes, max) != max)
                {
                }
            }

            return next(context);
        }

        public static object Snapshot()
        {
            long first = Interlocked.Read(ref s_firstRequests), later = Interlocked.Read(ref s_laterRequests);
            long firstBytes = Interlocked.Read(ref s_firstBytes), laterBytes = Interlocked.Read(ref s_laterBytes);
            return new
            {
                requests = first + later,
                bytes = firstBytes + laterBytes,
                firstRequests = first,
                firstBytes,
                laterRequests = later,
                laterBytes,
                maxLaterBytes = Interlocked.Read(ref s_maxLaterBytes),
            };
        }

        public static void Reset()
        {
            s_connections.Clear();
            Interlocked.Exchange(ref s_firstRequests, 0);
            Interlocked.Exchange(ref s_firstBytes, 0);
            Interlocked.Exchange(ref s_laterRequests, 0);
            Interlocked.Exchange(ref s_laterBytes, 0);
            Interlocked.Exchange(ref s_maxLaterBytes, 0);
        }
    }

    /// <summary>Echo WebSocket: drain-aware (closes with 1001 on drain) unless <c>?ignoreDrain</c>.</summary>
    internal static class WebSocketEcho
    {
        public static async Task HandleAsync(HttpContext context)
        {
            if (!context.WebSockets.IsWebSocketRequest)
            {
                context.Response.StatusCode = 400;
                return;
            }

            var ignoreDrain = context.Request.Query.ContainsKey("ignoreDrain");
            var socket = await context.AcceptDrainAwareWebSocketAsync();
            var buffer = new byte[1024];
            try
            {
                while (true)
                {
                    if (ignoreDrain)
                    {
                        var raw = await socket.WebSocket.ReceiveAsync(buffer.AsMemory(), CancellationToken.None);
                        if (raw.MessageType == WebSocketMessageType.Close)
                        {
                            await socket.WebSocket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
                            return;
                        }

                        await socket.WebSocket.SendAsync(buffer.AsMemory(0, raw.Count), raw.MessageType, raw.EndOfMessage, CancellationToken.None);
                        continue;
                    }

                    var result = await socket.ReceiveAsync(buffer);
                    if (result.IsDrain)
                    {
                        await socket.CloseForDrainAsync("draining");
                        return;
                    }

                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        await socket.WebSocket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
                        return;
                    }

                    await socket.WebSocket.SendAsync(buffer.AsMemory(0, result.Count), result.MessageType, result.EndOfMessage, CancellationToken.None);
                }
            }
            catch (Exception ex) when (ex is WebSocketException or IOException or OperationCanceledException or ConnectionAbortedException)
            {
                // Aborted at the drain deadline, or the client went away.
            }
        }
    }

    internal static class SelfSigned
    {
        public static X509Certificate2 Create()
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
            var san = new SubjectAlternativeNameBuilder();
            san.AddIpAddress(IPAddress.Loopback);
            san.AddDnsName("localhost");
            request.CertificateExtensions.Add(san.Build());
            using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
            return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pfx, "bench"), "bench");
        }
    }
}
