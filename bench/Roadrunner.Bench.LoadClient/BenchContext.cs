using System.Globalization;
using System.Net;

namespace Roadrunner.Bench.LoadClient;

/// <summary>Settings shared by the scenarios: paths, the quick flag and the run lengths that follow from it.</summary>
internal sealed class BenchContext
{
    public required string RepoRoot { get; init; }

    public required string ServerDll { get; init; }

    public bool Quick { get; init; }

    /// <summary>A/B pairs per throughput comparison (each pair runs A and B once, alternating which goes first).</summary>
    /// <remarks>Many short alternating runs rather than a few long ones: a burst of load from another process on
    /// the machine then spoils one pair, which the median drops, instead of one long run.</remarks>
    public int Pairs => Quick ? 6 : 16;

    /// <summary>Seconds per throughput run.</summary>
    public int RunSeconds => Quick ? 1 : 2;

    /// <summary>Seconds of warm-up per arm before the measured runs.</summary>
    public int WarmupSeconds => Quick ? 1 : 3;

    /// <summary>Repetitions of the drain and memory scenarios.</summary>
    public int Repeats => Quick ? 2 : 5;

    /// <summary>StartAsync → first response measurements.</summary>
    public int LifecycleRuns => Quick ? 100 : 500;

    /// <summary>Loopback source addresses for the connection-heavy scenarios (127.0.0.2 … 127.0.0.9).</summary>
    public IReadOnlyList<IPAddress> SourceAddresses { get; } =
        [.. Enumerable.Range(2, 8).Select(i => IPAddress.Parse($"127.0.0.{i}"))];

    public static void Log(string message) =>
        Console.Out.WriteLine($"[{DateTime.Now.ToString("HH:mm:ss", CultureInfo.InvariantCulture)}] {message}");
}
