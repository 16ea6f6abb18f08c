using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Roadrunner.AspNetCore.Tests.Infrastructure;

namespace Roadrunner.AspNetCore.Tests.Limits;

/// <summary>
/// Request-side limits on real sockets: each is set on listener A and not on listener B of the same app; A enforces it,
/// B does not.
/// </summary>
public sealed class RequestLimitTests(Xunit.Abstractions.ITestOutputHelper output) : IAsyncLifetime
{
    private const int OneMegabyte = 1024 * 1024;
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);
    private TestApp _app = null!;

    public async Task InitializeAsync() => _app = await TestApp.StartAsync(configureApp: LimitEndpoints.Map);

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task A_2_MB_body_with_content_length_gets_413_on_the_1_MB_listener_and_is_read_whole_on_the_other()
    {
        var a = await _app.StartListenerAsync("body-a", new ListenerOptions { MaxRequestBodySize = OneMegabyte });
        var b = await _app.StartListenerAsync("body-b");

        using (var socket = await Net.ConnectAsync(a))
        {
            // Only the headers: Kestrel refuses the announced length before the handler reads a byte.
            await socket.SendAsync(Encoding.ASCII.GetBytes($"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: {2 * OneMegabyte}\r\n\r\n"));
            var response = await Net.ReadResponseAsync(socket);
            response.ShouldStartWith("HTTP/1.1 413 ");
            response.ShouldContain("Connection: close");
        }

        using var client = Net.Client(b);
        using var upload = await client.PostAsync("/upload", new ByteArrayContent(new byte[2 * OneMegabyte]));
        upload.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await upload.Content.ReadAsStringAsync()).ShouldBe($"{{\"bytes\":{2 * OneMegabyte}}}");
    }

    [Fact]
    public async Task A_chunked_body_past_the_limit_gets_413_when_the_read_passes_it()
    {
        var a = await _app.StartListenerAsync("chunked-a", new ListenerOptions { MaxRequestBodySize = OneMegabyte });

        using var socket = await Net.ConnectAsync(a);
        await socket.SendAsync("POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"u8.ToArray());
        var chunk = Encoding.ASCII.GetBytes($"{64 * 1024:x}\r\n{new string('a', 64 * 1024)}\r\n");
        var sent = 0;
        var response = Net.ReadResponseAsync(socket);
        for (var i = 0; i < 40 && !response.IsCompleted; i++) // 40 × 64 KB = 2.5 MB at most
        {
            try
            {
                await socket.SendAsync(chunk);
                sent += 64 * 1024;
            }
            catch (SocketException)
            {
                break; // The server answered and closed while we were still sending.
            }
        }

        (await response.WaitAsync(Bound)).ShouldStartWith("HTTP/1.1 413 ");
        sent.ShouldBeGreaterThan(OneMegabyte - (64 * 1024));
    }

    [Fact]
    public async Task An_endpoint_request_size_limit_wins_over_the_listener_limit()
    {
        var a = await _app.StartListenerAsync("body-endpoint", new ListenerOptions { MaxRequestBodySize = OneMegabyte });
        using var client = Net.Client(a);

        using var upload = await client.PostAsync("/upload-4mb", new ByteArrayContent(new byte[2 * OneMegabyte]));

        upload.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await upload.Content.ReadAsStringAsync()).ShouldBe($"{{\"bytes\":{2 * OneMegabyte}}}");
    }

    [Fact]
    public async Task Over_http2_a_2_MB_body_gets_413_with_and_without_content_length()
    {
        var info = await _app.Manager.StartAsync("body-h2", new ListenerOptions { Protocols = ListenerProtocols.Http2, MaxRequestBodySize = OneMegabyte });
        var other = await _app.Manager.StartAsync("body-h2-b", new ListenerOptions { Protocols = ListenerProtocols.Http2 });
        using var client = Net.Client(info.Url, HttpVersion.Version20);

        using (var withLength = await client.PostAsync("/upload", new ByteArrayContent(new byte[2 * OneMegabyte])))
        {
            withLength.StatusCode.ShouldBe(HttpStatusCode.RequestEntityTooLarge);
        }

        // A streamed body has no Content-Length on HTTP/2 either: Kestrel counts the DATA frames.
        using (var streamed = await client.PostAsync("/upload", new StreamContent(new MemoryStream(new byte[2 * OneMegabyte]))))
        {
            streamed.StatusCode.ShouldBe(HttpStatusCode.RequestEntityTooLarge);
        }

        using var otherClient = Net.Client(other.Url, HttpVersion.Version20);
        using var ok = await otherClient.PostAsync("/upload", new ByteArrayContent(new byte[2 * OneMegabyte]));
        ok.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_slow_upload_is_cut_on_the_listener_with_a_data_rate_and_completes_on_the_other()
    {
        // 1,000 B/s is well above Kestrel's server-wide 240 B/s, so only the listener's own rate can cut it.
        var rate = new ListenerDataRate { BytesPerSecond = 50_000, GracePeriod = TimeSpan.FromSeconds(2) };
        var a = await _app.StartListenerAsync("rate-a", new ListenerOptions { MinRequestBodyDataRate = rate });
        var b = await _app.StartListenerAsync("rate-b");

        var cut = TrickleUploadAsync(a, bytesPerSecond: 1000, seconds: 6);
        var completed = TrickleUploadAsync(b, bytesPerSecond: 1000, seconds: 6);

        var (aResponse, aElapsed) = await cut.WaitAsync(Bound);
        output.WriteLine($"cut after {aElapsed.TotalSeconds:F1} s: '{aResponse.Split("\r\n")[0]}'");
        aResponse.ShouldNotContain("\"bytes\"");
        aElapsed.ShouldBeLessThan(TimeSpan.FromSeconds(6)); // cut before the upload could finish
        if (aResponse.Length > 0)
        {
            aResponse.ShouldStartWith("HTTP/1.1 408 "); // Kestrel's answer when the response has not started
        }

        (await completed.WaitAsync(Bound)).Response.ShouldContain("{\"bytes\":6000}");
        _app.Manager.GetListener("rate-a")!.MinRequestBodyDataRate.ShouldBe(rate);
    }

    [Fact]
    public async Task Five_concurrent_requests_on_a_listener_capped_at_two_serve_two_and_answer_three_503_with_retry_after()
    {
        var a = await _app.StartListenerAsync("conc-a", new ListenerOptions { MaxConcurrentRequests = 2 });
        var b = await _app.StartListenerAsync("conc-b");
        var gateA = LimitEndpoints.GateFor("conc-a");
        var gateB = LimitEndpoints.GateFor("conc-b");

        var sockets = new List<Socket>();
        try
        {
            var responses = new List<Task<string>>();
            for (var i = 0; i < 5; i++)
            {
                var socket = await Net.ConnectAsync(a);
                sockets.Add(socket);
                responses.Add(Net.SendRawAsync(socket, "/block?key=conc-a"));
                if (i == 1)
                {
                    await gateA.WaitEnteredAsync(2, Bound); // two are in flight: the next three are over the cap
                }
            }

            var refused = await Task.WhenAll(responses.Skip(2)).WaitAsync(Bound);
            refused.ShouldAllBe(r => r.StartsWith("HTTP/1.1 503 ", StringComparison.Ordinal) && r.Contains("Retry-After: 1"));
            responses.Take(2).ShouldAllBe(r => !r.IsCompleted);
            gateA.Entered.ShouldBe(2);
            _app.Manager.GetListener("conc-a")!.RequestsThrottled.ShouldBe(3);

            // Listener B has no cap: five requests are in its handler at once.
            using var client = Net.Client(b);
            var onB = Enumerable.Range(0, 5).Select(_ => client.GetStringAsync("/block?key=conc-b")).ToList();
            await gateB.WaitEnteredAsync(5, Bound);

            gateA.Release();
            gateB.Release();
            (await Task.WhenAll(responses.Take(2)).WaitAsync(Bound)).ShouldAllBe(r => r.StartsWith("HTTP/1.1 200 ", StringComparison.Ordinal));
            (await Task.WhenAll(onB).WaitAsync(Bound)).ShouldAllBe(r => r == "released");
            _app.Manager.GetListener("conc-b")!.RequestsThrottled.ShouldBe(0);
        }
        finally
        {
            sockets.ForEach(s => s.Dispose());
        }
    }

    [Fact]
    public async Task Over_http2_the_streams_past_the_concurrency_cap_are_refused_with_refused_stream()
    {
        var info = await _app.Manager.StartAsync("conc-h2", new ListenerOptions { Protocols = ListenerProtocols.Http2, MaxConcurrentRequests = 2 });
        var gate = LimitEndpoints.GateFor("conc-h2");
        using var client = await RawHttp2Client.ConnectAsync(info.Url);

        await client.SendGetAsync(1, "/block?key=conc-h2");
        await client.SendGetAsync(3, "/block?key=conc-h2");
        await gate.WaitEnteredAsync(2, Bound);
        foreach (var stream in new[] { 5, 7, 9 })
        {
            await client.SendGetAsync(stream, "/block?key=conc-h2");
        }

        var resets = new HashSet<int>();
        for (var i = 0; i < 50 && resets.Count < 3; i++)
        {
            var frame = await client.ReadFrameAsync(Bound);
            frame.ShouldNotBeNull();
            if (frame.Type == RawHttp2Client.RstStream)
            {
                frame.ErrorCode.ShouldBe(RawHttp2Client.RefusedStream);
                resets.Add(frame.StreamId);
            }
        }

        resets.ShouldBe([5, 7, 9], ignoreOrder: true);
        gate.Entered.ShouldBe(2);
        gate.Release();
        _app.Manager.GetListener("conc-h2")!.RequestsThrottled.ShouldBe(3);
    }

    [Fact]
    public async Task The_sixth_request_of_a_burst_of_five_gets_429_with_retry_after_and_requests_pass_again_once_the_bucket_refills()
    {
        // The buckets refill on the app's clock: a fake one makes "a burst at once" and "200 ms later" exact.
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var app = await TestApp.StartAsync(builder => builder.Services.AddSingleton<TimeProvider>(time), LimitEndpoints.Map);
        var a = await app.StartListenerAsync("rl-a", new ListenerOptions { RateLimit = new ListenerRateLimit { PermitsPerSecond = 5, Burst = 5 } });
        var b = await app.StartListenerAsync("rl-b");
        using var clientA = Net.Client(a);
        using var clientB = Net.Client(b);

        var burst = new List<HttpStatusCode>();
        for (var i = 0; i < 6; i++)
        {
            using var response = await clientA.GetAsync("/");
            burst.Add(response.StatusCode);
            if (i == 5)
            {
                response.Headers.RetryAfter.ShouldNotBeNull().Delta.ShouldBe(TimeSpan.FromSeconds(1));
            }
        }

        burst.ShouldBe([.. Enumerable.Repeat(HttpStatusCode.OK, 5), (HttpStatusCode)429]);
        for (var i = 0; i < 10; i++)
        {
            (await clientB.GetAsync("/")).StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        // 5/s on a 100 ms tick: half a permit after the first tick, a whole one after the second.
        time.Advance(TimeSpan.FromMilliseconds(100));
        (await clientA.GetAsync("/")).StatusCode.ShouldBe((HttpStatusCode)429);
        time.Advance(TimeSpan.FromMilliseconds(100));
        (await clientA.GetAsync("/")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await clientA.GetAsync("/")).StatusCode.ShouldBe((HttpStatusCode)429);

        var info = app.Manager.GetListener("rl-a")!;
        info.RequestsRateLimited.ShouldBe(3);
        info.RateLimit.ShouldBe(new ListenerRateLimit { PermitsPerSecond = 5, Burst = 5 });
        app.Manager.GetListener("rl-b")!.RequestsRateLimited.ShouldBe(0);
    }

    /// <summary>Sends a 6-byte-per-... body slowly; returns what the server answered (empty if it closed) and when.</summary>
    private static async Task<(string Response, TimeSpan Elapsed)> TrickleUploadAsync(Uri url, int bytesPerSecond, int seconds)
    {
        using var socket = await Net.ConnectAsync(url);
        var clock = Stopwatch.StartNew();
        await socket.SendAsync(Encoding.ASCII.GetBytes($"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: {bytesPerSecond * seconds}\r\n\r\n"));
        var response = Net.ReadResponseAsync(socket);
        var slice = new byte[bytesPerSecond / 10];

        // The slow client under test: a tenth of the per-second amount every 100 ms.
        for (var i = 0; i < seconds * 10 && !response.IsCompleted; i++)
        {
            try
            {
                await socket.SendAsync(slice);
            }
            catch (SocketException)
            {
                break;
            }

            await Task.Delay(100);
        }

        string text;
        try
        {
            text = await response.WaitAsync(Bound);
        }
        catch (SocketException)
        {
            text = string.Empty;
        }

        return (text, clock.Elapsed);
    }
}
