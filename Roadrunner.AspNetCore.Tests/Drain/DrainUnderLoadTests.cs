using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Roadrunner.AspNetCore.Tests.Infrastructure;

namespace Roadrunner.AspNetCore.Tests.Drain;

public sealed class DrainUnderLoadTests
{
    private const int Workers = 50;
    private static readonly string Payload = new('x', 1024);

    [Fact]
    public async Task Every_request_the_server_accepted_gets_a_complete_response()
    {
        var handled = 0;
        await using var app = await TestApp.StartAsync(configureApp: a => a.MapGet("/work", async (HttpContext context) =>
        {
            Interlocked.Increment(ref handled);
            await Task.Delay(5); // Work that keeps ~50 requests in flight.
            return Payload;
        }));
        var url = await app.StartListenerAsync("load");
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var tallies = new Tally[Workers];
        var workers = Enumerable.Range(0, Workers).Select(i => Task.Run(() => RunWorkerAsync(url, tallies[i] = new Tally(), stop.Token))).ToArray();
        (await Net.EventuallyAsync(() => Volatile.Read(ref handled) >= 500, TimeSpan.FromSeconds(30))).ShouldBeTrue();

        var result = await app.Manager.DrainAsync("load", TimeSpan.FromSeconds(20));
        await Task.WhenAll(workers);

        result!.Outcome.ShouldBe(DrainOutcome.Drained);
        tallies.Sum(t => t.Truncated).ShouldBe(0);
        tallies.Sum(t => t.Complete).ShouldBe(Volatile.Read(ref handled));
        tallies.ShouldAllBe(t => t.Refused);
        app.Manager.Names.ShouldNotContain("load");
    }

    /// <summary>Keep-alive requests on one connection at a time; reconnects after the server closes; ends when refused.</summary>
    private static async Task RunWorkerAsync(Uri url, Tally tally, CancellationToken cancellationToken)
    {
        var request = Encoding.ASCII.GetBytes("GET /work HTTP/1.1\r\nHost: x\r\n\r\n");
        var buffer = new byte[4096];
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await Net.ConnectAsync(url);
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionRefused)
            {
                tally.Refused = true;
                return;
            }

            using (socket)
            {
                while (!cancellationToken.IsCancellationRequested)
                {
                    try
                    {
                        await socket.SendAsync(request, cancellationToken);
                    }
                    catch (SocketException)
                    {
                        break; // Closed by the server between requests: nothing was accepted.
                    }

                    var (complete, bytes, closing) = await ReadOneResponseAsync(socket, buffer, cancellationToken);
                    if (complete)
                    {
                        tally.Complete++;
                    }
                    else if (bytes > 0)
                    {
                        tally.Truncated++;
                    }

                    if (!complete || closing)
                    {
                        break;
                    }
                }
            }
        }
    }

    private static async Task<(bool Complete, int Bytes, bool Closing)> ReadOneResponseAsync(Socket socket, byte[] buffer, CancellationToken cancellationToken)
    {
        var text = new StringBuilder();
        try
        {
            while (true)
            {
                var n = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
                if (n == 0)
                {
                    return (false, text.Length, true);
                }

                text.Append(Encoding.ASCII.GetString(buffer, 0, n));
                var response = text.ToString();
                var headerEnd = response.IndexOf("\r\n\r\n", StringComparison.Ordinal);
                if (headerEnd < 0)
                {
                    continue;
                }

                var body = response[(headerEnd + 4)..];
                var chunked = response.AsSpan(0, headerEnd).Contains("chunked", StringComparison.OrdinalIgnoreCase);
                var done = chunked ? body.EndsWith("0\r\n\r\n", StringComparison.Ordinal) : body.Length >= Payload.Length;
                if (done)
                {
                    var ok = response.StartsWith("HTTP/1.1 200", StringComparison.Ordinal) && body.Contains(Payload, StringComparison.Ordinal);
                    var closing = response.AsSpan(0, headerEnd).Contains("Connection: close", StringComparison.OrdinalIgnoreCase);
                    return (ok, text.Length, closing);
                }
            }
        }
        catch (SocketException)
        {
            return (false, text.Length, true);
        }
    }

    private sealed class Tally
    {
        public int Complete { get; set; }

        public int Truncated { get; set; }

        public bool Refused { get; set; }
    }
}
