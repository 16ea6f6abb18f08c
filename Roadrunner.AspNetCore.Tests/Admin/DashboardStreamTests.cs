using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Roadrunner.AspNetCore.Tests.Example;

namespace Roadrunner.AspNetCore.Tests.Admin;

/// <summary>The dashboard page and its Server-Sent Events stream, read with a plain HTTP client.</summary>
public sealed class DashboardStreamTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task The_page_is_self_contained_under_a_strict_content_security_policy()
    {
        await using var app = ExampleApp.Start();
        using var admin = app.Admin();

        using var page = await admin.GetAsync(new Uri("/admin/ui/", UriKind.Relative));

        page.StatusCode.ShouldBe(HttpStatusCode.OK);
        page.Content.Headers.ContentType!.MediaType.ShouldBe("text/html");
        var csp = page.Headers.GetValues("Content-Security-Policy").Single();
        csp.ShouldStartWith("default-src 'none'; script-src 'nonce-");
        csp.ShouldContain("connect-src 'self'");
        var html = await page.Content.ReadAsStringAsync();
        html.ShouldNotContain("__NONCE__");
        html.ShouldContain("data-admin=\"/admin\"");
        html.ShouldContain("data-events=\"/admin/ui/events\"");

        // No external script, style, font or image: the only URL is the SVG namespace name, which loads nothing.
        System.Text.RegularExpressions.Regex.Matches(html, @"https?://[^\s'""`<)]*").Select(m => m.Value).Distinct().ShouldBe(["http://www.w3.org/2000/svg"]);
        html.ShouldNotContain("src=");
        html.ShouldNotContain("@import");

        // The page is on the admin listener only.
        using var pub = ExampleApp.Client(app.PublicUrl);
        using var elsewhere = await pub.GetAsync(new Uri("/admin/ui/", UriKind.Relative));
        elsewhere.StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Rows_carry_the_throttled_and_rate_limited_counts()
    {
        await using var app = ExampleApp.Start();
        using var admin = app.Admin();
        using var timeout = new CancellationTokenSource(Patience);
        var created = await admin.CreateListenerAsync("limited", """ "rateLimit":{"permitsPerSecond":1,"burst":1} """);
        var refused = 0;
        using (var client = ExampleApp.Client(ExampleHttp.UrlOf(created)))
        {
            // Three at once past a bucket of one: a refill can fall between two of them, never between all three.
            for (var i = 0; i < 3; i++)
            {
                using var answer = await client.GetAsync(new Uri("/", UriKind.Relative), timeout.Token);
                refused += answer.StatusCode == System.Net.HttpStatusCode.TooManyRequests ? 1 : 0;
            }
        }

        refused.ShouldBeGreaterThanOrEqualTo(1);

        using var response = await admin.GetAsync(new Uri("/admin/ui/events", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(timeout.Token));
        var (type, snapshot) = await NextAsync(reader, timeout.Token);
        type.ShouldBe("snapshot");
        var columns = snapshot.GetProperty("columns").EnumerateArray().Select(c => c.GetString()).ToList();
        var row = snapshot.GetProperty("rows").EnumerateArray().Single(r => r[0].GetString() == "limited");
        row[columns.IndexOf("rateLimited")].GetInt64().ShouldBe(refused);
        row[columns.IndexOf("throttled")].GetInt64().ShouldBe(0);
    }

    [Fact]
    public async Task The_stream_sends_a_snapshot_then_a_delta_with_a_new_listener_long_before_the_next_tick_and_its_removal()
    {
        await using var app = ExampleApp.Start();
        using var admin = app.Admin();
        using var timeout = new CancellationTokenSource(Patience);
        using var response = await admin.GetAsync(new Uri("/admin/ui/events", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/event-stream");
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(timeout.Token));

        var (type, snapshot) = await NextAsync(reader, timeout.Token);
        type.ShouldBe("snapshot");
        var columns = snapshot.GetProperty("columns").EnumerateArray().Select(c => c.GetString()).ToList();
        columns[0].ShouldBe("name");
        snapshot.GetProperty("rows").EnumerateArray().Select(r => r[0].GetString()).ShouldBe(["public", "admin"]);

        await app.Manager.StartAsync("fresh", new ListenerOptions { MaxConnections = 7 });
        JsonElement delta;
        do
        {
            (type, delta) = await NextAsync(reader, timeout.Token);
        }
        while (!delta.GetProperty("rows").EnumerateArray().Any(r => r[0].GetString() == "fresh"));

        type.ShouldBe("delta");
        var row = delta.GetProperty("rows").EnumerateArray().Single(r => r[0].GetString() == "fresh");
        row[columns.IndexOf("maxConnections")].GetInt32().ShouldBe(7);
        row[columns.IndexOf("status")].GetString().ShouldBe("Accepting");

        await app.Manager.StopAsync("fresh");
        do
        {
            (_, delta) = await NextAsync(reader, timeout.Token);
        }
        while (!delta.GetProperty("removed").EnumerateArray().Any(n => n.GetString() == "fresh"));
    }

    [Fact]
    public async Task A_drain_appears_with_its_deadline_and_acknowledgement_then_its_outcome()
    {
        await using var app = ExampleApp.Start();
        using var admin = app.Admin();
        var created = await admin.CreateListenerAsync("watched");
        using var timeout = new CancellationTokenSource(Patience);
        using var response = await admin.GetAsync(new Uri("/admin/ui/events", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(timeout.Token));
        await NextAsync(reader, timeout.Token);

        // A long-poll in flight acknowledges the drain and answers 503.
        using var client = ExampleApp.Client(ExampleHttp.UrlOf(created));
        var longPoll = client.GetAsync(new Uri("/longpoll?ms=60000", UriKind.Relative), timeout.Token);
        (await Infrastructure.Net.EventuallyAsync(() => app.Manager.GetListener("watched")!.RequestsServed >= 1, Patience)).ShouldBeTrue();
        var drain = app.Manager.DrainAsync("watched", TimeSpan.FromSeconds(30), timeout.Token);

        JsonElement view;
        do
        {
            var (_, frame) = await NextAsync(reader, timeout.Token);
            view = frame.GetProperty("drains").EnumerateArray().FirstOrDefault(d => d.GetProperty("listener").GetString() == "watched");
        }
        while (view.ValueKind != JsonValueKind.Object || view.GetProperty("outcome").ValueKind == JsonValueKind.Null);

        view.GetProperty("outcome").GetString().ShouldBe("Drained");
        view.GetProperty("acknowledgements").GetInt32().ShouldBe(1);
        view.GetProperty("soft").GetBoolean().ShouldBeFalse();
        view.GetProperty("deadline").GetDateTimeOffset().ShouldBeInRange(DateTimeOffset.UtcNow.AddSeconds(20), DateTimeOffset.UtcNow.AddSeconds(31));
        (await drain)!.Acknowledgements.ShouldBe(1);
        (await longPoll).StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
    }

    [Fact]
    public async Task With_a_thousand_listeners_the_snapshot_is_compact_and_an_idle_delta_carries_no_rows()
    {
        await using var app = ExampleApp.Start();
        for (var i = 0; i < 1000; i++)
        {
            await app.Manager.StartAsync($"n{i:0000}", new ListenerOptions());
        }

        using var admin = app.Admin();
        using var timeout = new CancellationTokenSource(Patience);
        var clock = Stopwatch.StartNew();
        using var response = await admin.GetAsync(new Uri("/admin/ui/events", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(timeout.Token));
        var (_, snapshot, bytes) = await NextWithSizeAsync(reader, timeout.Token);
        var snapshotTime = clock.Elapsed;
        snapshot.GetProperty("rows").GetArrayLength().ShouldBe(1002);

        // The next ticks: the counters of 1,002 idle listeners did not change, so no row is sent.
        var (_, delta, deltaBytes) = await NextWithSizeAsync(reader, timeout.Token);
        (_, delta, deltaBytes) = await NextWithSizeAsync(reader, timeout.Token);
        delta.GetProperty("rows").GetArrayLength().ShouldBeLessThanOrEqualTo(1); // At most the admin listener itself.
        Console.WriteLine($"dashboard: 1002 listeners, snapshot {bytes} bytes in {snapshotTime.TotalMilliseconds:0} ms, idle delta {deltaBytes} bytes");
        bytes.ShouldBeLessThan(150_000);
        deltaBytes.ShouldBeLessThan(2_000);
    }

    private static async Task<(string Type, JsonElement Data)> NextAsync(StreamReader reader, CancellationToken cancellationToken)
    {
        var (type, data, _) = await NextWithSizeAsync(reader, cancellationToken);
        return (type, data);
    }

    private static async Task<(string Type, JsonElement Data, int Bytes)> NextWithSizeAsync(StreamReader reader, CancellationToken cancellationToken)
    {
        string? type = null;
        string? data = null;
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Length == 0 && data is not null)
            {
                using var document = JsonDocument.Parse(data);
                return (type!, document.RootElement.Clone(), data.Length);
            }

            if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                type = line["event: ".Length..];
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                data = line["data: ".Length..];
            }
        }

        throw new EndOfStreamException("The dashboard stream ended.");
    }
}
