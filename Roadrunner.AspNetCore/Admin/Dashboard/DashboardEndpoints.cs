using System.Net;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Roadrunner.AspNetCore.Admin.Dashboard;

/// <summary>
/// The dashboard: the page (embedded <c>dashboard.html</c>, one file with its script and styles) and its event stream.
/// The page reads the stream with <c>fetch</c>, not <c>EventSource</c>, because <c>EventSource</c> cannot send the
/// <c>X-Api-Key</c> header, and a key in the URL would end up in access logs and browser history.
/// </summary>
internal static class DashboardEndpoints
{
    /// <summary>Frames are sent at least this often (and at once, coalesced, on listener and drain changes).</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private static readonly TimeSpan Coalesce = TimeSpan.FromMilliseconds(100);

    private static readonly Lazy<string> Template = new(() =>
    {
        using var stream = typeof(DashboardEndpoints).Assembly.GetManifestResourceStream("Roadrunner.AspNetCore.Admin.Dashboard.dashboard.html")
            ?? throw new InvalidOperationException("The dashboard page is missing from the assembly (EmbeddedResource Admin/Dashboard/dashboard.html).");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });

    private static long s_streams;
    private static int s_open;

    public static void Map(RouteGroupBuilder group, AdminAccess access, string adminPrefix)
    {
        group.MapGet("/", access.Wrap(null, context => Task.FromResult<IResult>(Page(context, adminPrefix)))).Described(named: false)
            .WithName("Roadrunner.Dashboard")
            .WithSummary("The live dashboard page")
            .WithDescription("One self-contained HTML page: listeners, running drains and their controls, updated over the events stream.")
            .WithMetadata(new ProducesResponseTypeMetadata(StatusCodes.Status200OK, typeof(string), ["text/html"]));
        group.MapGet("/events", access.Wrap(null, context => Task.FromResult<IResult>(Events(context)))).Described(named: false)
            .WithName("Roadrunner.DashboardEvents")
            .WithSummary("The dashboard's Server-Sent Events stream")
            .WithDescription("A 'snapshot' event with every listener (rows in the order of 'columns'), then 'delta' events at least once a second and at once on listener and drain changes: changed rows, removed names and the drains.")
            .WithMetadata(new ProducesResponseTypeMetadata(StatusCodes.Status200OK, typeof(string), ["text/event-stream"]));
    }

    private static ContentHttpResult Page(HttpContext context, string adminPrefix)
    {
        var nonce = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
        var path = context.Request.PathBase + context.Request.Path;
        var events = path.Value!.TrimEnd('/') + "/events";
        var html = Template.Value
            .Replace("__NONCE__", nonce, StringComparison.Ordinal)
            .Replace("__ADMIN__", WebUtility.HtmlEncode(context.Request.PathBase + adminPrefix), StringComparison.Ordinal)
            .Replace("__EVENTS__", WebUtility.HtmlEncode(events), StringComparison.Ordinal);
        var headers = context.Response.Headers;

        // Everything the page uses is in it: nothing else may load, and nothing may frame it.
        headers.ContentSecurityPolicy = $"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
        headers.XContentTypeOptions = "nosniff";
        headers.CacheControl = "no-store";
        headers["Referrer-Policy"] = "no-referrer";
        return TypedResults.Content(html, "text/html; charset=utf-8");
    }

    private static ServerSentEventsResult<string> Events(HttpContext context)
    {
        var feed = context.RequestServices.GetRequiredService<DashboardFeed>();
        var listeners = context.RequestServices.GetRequiredService<IListenerManager>();
        context.Response.Headers.CacheControl = "no-store";
        return TypedResults.ServerSentEvents(Frames(context, feed, listeners, context.RequestAborted));
    }

    private static async IAsyncEnumerable<SseItem<string>> Frames(HttpContext context, DashboardFeed feed, IListenerManager listeners, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // The stream ends with the request or when its listener drains (a drain must not wait for an open dashboard).
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, context.GetDrainToken());
        var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(AdminLog.Category);
        AdminLog.DashboardStream(logger, Interlocked.Increment(ref s_streams), Interlocked.Increment(ref s_open));
        try
        {
            feed.EnsureSubscribed();
            var frames = new DashboardFrames(listeners, feed);
            yield return new SseItem<string>(frames.Next(snapshot: true), "snapshot");
            while (!stop.IsCancellationRequested)
            {
                var changed = feed.Changed;
                var tick = Task.Delay(Interval, feed.Time, stop.Token);
                var woke = await Task.WhenAny(changed, tick).ConfigureAwait(false);
                if (stop.IsCancellationRequested)
                {
                    yield break;
                }

                if (woke == changed)
                {
                    // A burst (a thousand listeners started by a script) becomes one frame, not a thousand.
                    await Task.WhenAny(Task.Delay(Coalesce, feed.Time, stop.Token)).ConfigureAwait(false);
                }

                yield return new SseItem<string>(frames.Next(snapshot: false), "delta");
            }
        }
        finally
        {
            Interlocked.Decrement(ref s_open);
        }
    }
}
