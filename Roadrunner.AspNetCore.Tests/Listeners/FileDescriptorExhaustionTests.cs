using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Roadrunner.AspNetCore.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Roadrunner.AspNetCore.Tests.Listeners;

/// <summary>
/// A connection flood past RLIMIT_NOFILE, against the example app in a child process (the limit is per process, and
/// the test process must keep its own). Accept then fails with EMFILE. Retried in a tight loop, it burns a core and
/// says nothing, and the process dies as soon as the runtime needs a new thread: creating one opens a pipe (pipe2:
/// EMFILE), Thread.Start throws OutOfMemoryException, and where nothing catches it the runtime aborts ("Out of
/// memory.", SIGABRT, exit 134). The first timer of a process starts the timer thread, so a back-off through
/// Task.Delay can hit the same wall. The listener must back off anyway, say why in a warning, and serve again once
/// the flood is gone.
/// </summary>
public sealed partial class FileDescriptorExhaustionTests(ITestOutputHelper output)
{
    // Descriptors the child may open past what it holds once warmed up: enough for the few it opens by itself while
    // running (the console, a timer, a lazily loaded assembly), few enough that the flood runs past the limit at once.
    private const int Headroom = 100;

    // Connections the flood opens: 400 past the limit. Fewer than the listen backlog (512) plus the headroom, so every
    // connect completes in the kernel even while nothing accepts, and no connect waits on a SYN retry.
    private const int FloodConnections = Headroom + 400;

    private static readonly TimeSpan StartupTimeout = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan FloodTimeout = TimeSpan.FromSeconds(5);

    // How long the flood is held open at most: until the child has logged the warning, or this long.
    private static readonly TimeSpan HoldTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan RecoveryTimeout = TimeSpan.FromSeconds(8);

    [Fact]
    public async Task A_connection_flood_past_the_file_descriptor_limit_is_survived_with_a_warning_and_the_listener_serves_again()
    {
        var clock = Stopwatch.StartNew();
        var prlimit = FindOnPath("prlimit");
        prlimit.ShouldNotBeNull("This test needs prlimit (util-linux; Debian/Ubuntu: apt-get install util-linux) to lower the example app's RLIMIT_NOFILE.");
        OwnDescriptorLimit().ShouldBeGreaterThan(Net.OpenFileDescriptors() + FloodConnections + 100, "The test process itself needs room for the flood's client sockets.");

        using var child = StartExampleApp();
        var urls = await WaitForListenersAsync(child, "admin", "public");
        var publicUrl = urls["public"];

        // Warm up: the first requests load the assemblies and open the descriptors a serving app keeps. Nothing here
        // starts a timer in the child, on purpose: its timer thread does not exist yet when the flood comes, as in a
        // quiet process, so a back-off that needs one to be created is caught too.
        using (var warm = Net.Client(publicUrl))
        {
            (await warm.GetStringAsync(new Uri("/", UriKind.Relative))).ShouldContain("listener=public");
        }

        using (var admin = Net.Client(urls["admin"]))
        {
            (await admin.GetAsync(new Uri("/admin/listeners", UriKind.Relative))).StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        // N = what the warmed-up child holds + the headroom, set on the running process (soft = hard, so it cannot
        // raise it back). Measured rather than fixed: the count depends on the runtime and the assemblies loaded.
        var idle = OpenDescriptors(child.Id);
        var limit = idle + Headroom;
        await SetDescriptorLimitAsync(prlimit, child.Id, limit);
        DescriptorLimitOf(child.Id).ShouldBe(limit);
        output.WriteLine($"child pid {child.Id}: {idle} descriptors open when idle; RLIMIT_NOFILE set to {limit}; flooding with {FloodConnections} connections");

        var flood = await FloodAsync(publicUrl.Port, FloodConnections);
        try
        {
            output.WriteLine($"{flood.Count} of {FloodConnections} connects completed at {clock.Elapsed.TotalSeconds:F1} s; child holds {TryOpenDescriptors(child.Id)} descriptors");
            flood.Count.ShouldBeGreaterThan(Headroom, $"The flood must run past the limit.\n{child.Describe()}");

            // Hold the flood open until the child has said it is out of descriptors (or for HoldTimeout): the
            // behaviour under test is what it does while accept keeps failing. Null if it died meanwhile.
            var held = await child.WaitForLineAsync(line => IsAcceptResourceExhaustedWarning(line, "public"), HoldTimeout);
            output.WriteLine($"held the flood {clock.Elapsed.TotalSeconds:F1} s in; warning {(held is null ? "not seen" : "seen")}");
        }
        finally
        {
            foreach (var socket in flood)
            {
                socket.Dispose();
            }
        }

        // (1) It survived.
        child.HasExited.ShouldBeFalse($"The example app died under the flood.\n{child.Describe()}");

        // (2) The listener serves again once the flood is gone.
        var served = await GetRootAsync(publicUrl, RecoveryTimeout);
        served.ShouldBeTrue($"GET / on 'public' did not answer 200 within {RecoveryTimeout.TotalSeconds} s of the flood's end.\n{child.Describe()}");
        child.HasExited.ShouldBeFalse($"The example app died after the flood.\n{child.Describe()}");

        // (3) It said why accepting stopped. The warning may be written after the listener recovered (the console
        // logger writes from a queue), so it is waited for, briefly.
        var warning = await child.WaitForLineAsync(line => IsAcceptResourceExhaustedWarning(line, "public"), TimeSpan.FromSeconds(3));
        warning.ShouldNotBeNull($"No AcceptResourceExhausted warning (event 14) for 'public' on the child's console.\n{child.Describe()}");
        output.WriteLine(warning);
        output.WriteLine($"done in {clock.Elapsed.TotalSeconds:F1} s");
    }

    /// <summary>
    /// The AcceptResourceExhausted warning as the simple console formatter writes it in single-line mode:
    /// <c>warn: Roadrunner.AspNetCore.Transport[14] Listener 'public' cannot accept connections: TooManyOpenSockets (...</c>.
    /// Matched: level "warn", a category that starts with Roadrunner.AspNetCore, event id 14 (the formatter does
    /// not print event names), the listener's name in quotes, and either the SocketError name TooManyOpenSockets or
    /// the words "too many open files" (any case, as in strerror(EMFILE)) anywhere in the message.
    /// </summary>
    private static bool IsAcceptResourceExhaustedWarning(string line, string listener) =>
        ExhaustionWarningPrefix().IsMatch(line)
        && line.Contains($"'{listener}'", StringComparison.Ordinal)
        && (line.Contains("TooManyOpenSockets", StringComparison.Ordinal) || line.Contains("too many open files", StringComparison.OrdinalIgnoreCase));

    [GeneratedRegex(@"^warn: Roadrunner\.AspNetCore(\.[A-Za-z0-9_.]+)?\[14\] ", RegexOptions.CultureInvariant)]
    private static partial Regex ExhaustionWarningPrefix();

    // "Listener 'admin' started on http://127.0.0.1:PORT (Http1)." (event ListenerStarted, whatever its category).
    [GeneratedRegex(@"Listener '(?<name>[^']+)' started on (?<url>https?://\S+) \(", RegexOptions.CultureInvariant)]
    private static partial Regex ListenerStarted();

    /// <summary>The example app from this test's output folder, both configured listeners on 127.0.0.1:0.</summary>
    private static ChildProcess StartExampleApp()
    {
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
        var app = Path.Combine(AppContext.BaseDirectory, "Roadrunner.Example.dll");
        File.Exists(app).ShouldBeTrue($"{app} is missing: the test project references the example app, so the build puts it next to the tests.");
        return ChildProcess.Start(
            dotnet,
            [
                app,
                "--Roadrunner:Listeners:admin:Address=127.0.0.1",
                "--Roadrunner:Listeners:admin:Port=0",
                "--Roadrunner:Listeners:public:Address=127.0.0.1",
                "--Roadrunner:Listeners:public:Port=0",

                // The output folder has no appsettings.json: quiet by default, as the example's own settings are.
                "--Logging:LogLevel:Default=Warning",
                "--Logging:LogLevel:Roadrunner.AspNetCore=Information",
            ],
            new Dictionary<string, string?>
            {
                ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
                ["DOTNET_NOLOGO"] = "1",
                ["ASPNETCORE_ENVIRONMENT"] = "Production",

                // One line per log entry, no colours: "warn: Category[EventId] Message".
                ["Logging__Console__FormatterName"] = "simple",
                ["Logging__Console__FormatterOptions__SingleLine"] = "true",
                ["Logging__Console__FormatterOptions__ColorBehavior"] = "Disabled",
            });
    }

    private static async Task<Dictionary<string, Uri>> WaitForListenersAsync(ChildProcess child, params string[] names)
    {
        var urls = new Dictionary<string, Uri>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            var line = await child.WaitForLineAsync(l => ListenerStarted().Match(l) is { Success: true } m && m.Groups["name"].Value == name, StartupTimeout);
            line.ShouldNotBeNull($"Listener '{name}' did not log its start within {StartupTimeout.TotalSeconds} s.\n{child.Describe()}");
            urls[name] = new Uri(ListenerStarted().Match(line).Groups["url"].Value);
        }

        return urls;
    }

    /// <summary>Opens up to <paramref name="count"/> connections at once; returns those that connected in time.</summary>
    private static async Task<List<Socket>> FloodAsync(int port, int count)
    {
        using var deadline = new CancellationTokenSource(FloodTimeout);
        var connects = Enumerable.Range(0, count).Select(async _ =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token);
                timeout.CancelAfter(ConnectTimeout);
                await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), timeout.Token);
                return socket;
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException)
            {
                socket.Dispose();
                return null;
            }
        }).ToList();

        var sockets = await Task.WhenAll(connects);
        return [.. sockets.OfType<Socket>()];
    }

    /// <summary>Polls GET / with a deadline: true once it answers 200 from 'public'.</summary>
    private static async Task<bool> GetRootAsync(Uri url, TimeSpan within)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < within)
        {
            // A fresh client each attempt: no pooled connection from a failed attempt is reused.
            using var client = Net.Client(url);
            using var attempt = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            try
            {
                using var response = await client.GetAsync(new Uri("/", UriKind.Relative), attempt.Token);
                if (response.StatusCode == HttpStatusCode.OK && (await response.Content.ReadAsStringAsync(attempt.Token)).Contains("listener=public", StringComparison.Ordinal))
                {
                    return true;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException)
            {
                // Not yet (refused, reset, or no answer in time).
            }

            await Task.Delay(100); // Poll interval: a child process's recovery has no signal this test could await.
        }

        return false;
    }

    private static async Task SetDescriptorLimitAsync(string prlimit, int pid, int limit)
    {
        var value = limit.ToString(CultureInfo.InvariantCulture);
        using var tool = ChildProcess.Start(prlimit, ["--pid", pid.ToString(CultureInfo.InvariantCulture), $"--nofile={value}:{value}"]);
        (await tool.WaitForExitAsync(TimeSpan.FromSeconds(10))).ShouldBeTrue($"prlimit did not finish.\n{tool.Describe()}");
        tool.ExitCode.ShouldBe(0, $"prlimit --pid {pid} --nofile={value}:{value} failed.\n{tool.Describe()}");
    }

    private static int OpenDescriptors(int pid) => Directory.GetFiles($"/proc/{pid}/fd").Length;

    private static string TryOpenDescriptors(int pid)
    {
        try
        {
            return OpenDescriptors(pid).ToString(CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return "(gone)";
        }
    }

    /// <summary>The soft "Max open files" limit of a process, from /proc/PID/limits.</summary>
    private static int DescriptorLimitOf(string pid)
    {
        var line = File.ReadLines($"/proc/{pid}/limits").Single(l => l.StartsWith("Max open files", StringComparison.Ordinal));
        var soft = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
        return soft == "unlimited" ? int.MaxValue : int.Parse(soft, CultureInfo.InvariantCulture);
    }

    private static int DescriptorLimitOf(int pid) => DescriptorLimitOf(pid.ToString(CultureInfo.InvariantCulture));

    private static int OwnDescriptorLimit() => DescriptorLimitOf("self");

    private static string? FindOnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Append("/usr/bin")
            .Append("/bin")
            .Select(directory => Path.Combine(directory, tool))
            .FirstOrDefault(File.Exists);
}
