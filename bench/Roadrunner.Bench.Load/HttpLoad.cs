using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;

namespace Roadrunner.Bench.Load;

/// <summary>What to load and how.</summary>
public sealed class HttpLoadOptions
{
    /// <summary>
    /// The http:// or https:// URL requested (path and query included). For https, TLS is negotiated after the
    /// <see cref="ConnectionPreamble"/>, and the server's certificate must be the one <see cref="ServerCertificateThumbprint"/> names.
    /// </summary>
    public required Uri Url { get; init; }

    /// <summary>The SHA-1 thumbprint (hex) of the certificate an https server must present: a benchmark's self-signed one is pinned.</summary>
    public string? ServerCertificateThumbprint { get; init; }

    /// <summary>Concurrent connections, each a closed loop (one request in flight).</summary>
    public int Connections { get; init; } = 1;

    /// <summary>How long to run.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Stop after this many requests in all (whichever of this and <see cref="Duration"/> comes first).</summary>
    public long MaxRequests { get; init; } = long.MaxValue;

    /// <summary>Open a new connection for every request (<c>Connection: close</c>): the accept path.</summary>
    public bool NewConnectionPerRequest { get; init; }

    /// <summary>Loopback source addresses used round-robin by the connections; none means the OS picks.</summary>
    public IReadOnlyList<IPAddress> SourceAddresses { get; init; } = [];

    /// <summary>Bytes sent on every new connection before its first request (a PROXY protocol header); none by default.</summary>
    public ReadOnlyMemory<byte> ConnectionPreamble { get; init; }

    /// <summary>A request that takes longer counts as an error and its connection is replaced.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);
}

/// <summary>The outcome of a load run.</summary>
/// <param name="Requests">Successful (2xx) responses.</param>
/// <param name="Errors">Failed requests: connect/read/write errors, timeouts, non-2xx.</param>
/// <param name="ConnectionsOpened">TCP connections opened.</param>
/// <param name="Elapsed">Wall-clock time of the run.</param>
/// <param name="Latency">Latency of the successful requests (connect included when a connection is opened per request).</param>
/// <param name="FirstError">The first error's message, for diagnosis.</param>
public sealed record HttpLoadResult(long Requests, long Errors, long ConnectionsOpened, TimeSpan Elapsed, LatencySummary Latency, string? FirstError)
{
    /// <summary>Successful requests per second.</summary>
    public double RequestsPerSecond => Elapsed > TimeSpan.Zero ? Requests / Elapsed.TotalSeconds : 0;
}

/// <summary>
/// A closed-loop HTTP/1.1 load generator on raw sockets: each connection sends a request, reads the whole response,
/// and sends the next. Cheap enough to share two cores with the server; wrk and h2load do the headline runs.
/// </summary>
public static class HttpLoad
{
    /// <summary>Runs the load and returns the counts and latency.</summary>
    public static async Task<HttpLoadResult> RunAsync(HttpLoadOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Connections, 1);
        if (options.Url.Scheme != Uri.UriSchemeHttp && options.Url.Scheme != Uri.UriSchemeHttps)
        {
            throw new ArgumentException("Only http:// and https:// URLs are supported.", nameof(options));
        }

        if (options.Url.Scheme == Uri.UriSchemeHttps && string.IsNullOrEmpty(options.ServerCertificateThumbprint))
        {
            throw new ArgumentException("An https:// URL needs ServerCertificateThumbprint.", nameof(options));
        }

        var state = new RunState(options);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        stop.CancelAfter(options.Duration);
        var started = Stopwatch.GetTimestamp();
        var workers = new Task<LatencyRecorder>[options.Connections];
        for (var i = 0; i < workers.Length; i++)
        {
            var source = options.SourceAddresses.Count > 0 ? options.SourceAddresses[i % options.SourceAddresses.Count] : null;
            workers[i] = Task.Run(() => WorkerAsync(state, source, stop), CancellationToken.None);
        }

        var recorders = await Task.WhenAll(workers).ConfigureAwait(false);
        var elapsed = Stopwatch.GetElapsedTime(started);
        return new HttpLoadResult(
            Interlocked.Read(ref state.Requests),
            Interlocked.Read(ref state.Errors),
            Interlocked.Read(ref state.Connections),
            elapsed,
            LatencyRecorder.Merge(recorders),
            state.FirstError);
    }

    private static async Task<LatencyRecorder> WorkerAsync(RunState state, IPAddress? source, CancellationTokenSource stop)
    {
        var options = state.Options;
        var recorder = new LatencyRecorder();
        var buffer = new byte[16 * 1024];
        var request = HttpWire.GetRequest(options.Url, close: options.NewConnectionPerRequest);
        var target = HttpWire.EndPointOf(options.Url);
        var tls = options.Url.Scheme == Uri.UriSchemeHttps ? TlsOptionsFor(options.Url, options.ServerCertificateThumbprint!) : null;
        Socket? socket = null;
        SslStream? stream = null;
        var timeout = new CancellationTokenSource();
        try
        {
            while (!stop.IsCancellationRequested)
            {
                if (Interlocked.Increment(ref state.Issued) > options.MaxRequests)
                {
                    stop.Cancel();
                    break;
                }

                var start = Stopwatch.GetTimestamp();
                if (!timeout.TryReset())
                {
                    timeout.Dispose();
                    timeout = new CancellationTokenSource();
                }

                timeout.CancelAfter(options.RequestTimeout);
                try
                {
                    if (socket is null)
                    {
                        socket = await HttpWire.ConnectAsync(target, source, timeout.Token).ConfigureAwait(false);
                        Interlocked.Increment(ref state.Connections);
                        if (!options.ConnectionPreamble.IsEmpty)
                        {
                            await socket.SendAsync(options.ConnectionPreamble, SocketFlags.None, timeout.Token).ConfigureAwait(false);
                        }

                        if (tls is not null)
                        {
                            stream = new SslStream(new NetworkStream(socket, ownsSocket: true));
                            await stream.AuthenticateAsClientAsync(tls, timeout.Token).ConfigureAwait(false);
                        }
                    }

                    HttpResponseHead head;
                    if (stream is not null)
                    {
                        await stream.WriteAsync(request, timeout.Token).ConfigureAwait(false);
                        head = await HttpWire.ReadResponseAsync(stream, buffer, timeout.Token).ConfigureAwait(false);
                    }
                    else
                    {
                        await socket.SendAsync(request, SocketFlags.None, timeout.Token).ConfigureAwait(false);
                        head = await HttpWire.ReadResponseAsync(socket, buffer, timeout.Token).ConfigureAwait(false);
                    }

                    if (head.IsSuccess)
                    {
                        recorder.Record(Stopwatch.GetElapsedTime(start));
                        Interlocked.Increment(ref state.Requests);
                    }
                    else
                    {
                        state.RecordError($"HTTP {head.Status}");
                    }

                    if (head.Close || options.NewConnectionPerRequest)
                    {
                        Close(ref socket, ref stream);
                    }
                }
                catch (Exception ex) when (ex is SocketException or IOException or InvalidDataException or OperationCanceledException or AuthenticationException)
                {
                    Close(ref socket, ref stream);
                    if (stop.IsCancellationRequested && ex is OperationCanceledException)
                    {
                        break;
                    }

                    state.RecordError(ex.Message);
                }
            }
        }
        finally
        {
            Close(ref socket, ref stream);
            timeout.Dispose();
        }

        return recorder;
    }

    private static SslClientAuthenticationOptions TlsOptionsFor(Uri url, string thumbprint) => new()
    {
        TargetHost = url.IdnHost,
        ApplicationProtocols = [SslApplicationProtocol.Http11],

        // The benchmark server's certificate is self-signed and made at start-up: trusted by its thumbprint alone.
        RemoteCertificateValidationCallback = (_, certificate, _, _) =>
            certificate is not null && string.Equals(certificate.GetCertHashString(), thumbprint, StringComparison.OrdinalIgnoreCase),
    };

    private static void Close(ref Socket? socket, ref SslStream? stream)
    {
        stream?.Dispose();
        socket?.Dispose();
        stream = null;
        socket = null;
    }

    private sealed class RunState(HttpLoadOptions options)
    {
        public readonly HttpLoadOptions Options = options;
        public long Requests;
        public long Errors;
        public long Connections;
        public long Issued;
        private string? _firstError;

        public string? FirstError => Volatile.Read(ref _firstError);

        public void RecordError(string message)
        {
            Interlocked.Increment(ref Errors);
            Interlocked.CompareExchange(ref _firstError, message, null);
        }
    }
}
