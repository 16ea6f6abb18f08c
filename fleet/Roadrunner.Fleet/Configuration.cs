namespace Roadrunner.Fleet;

/// <summary>How the balancer learns that an instance is going away.</summary>
internal enum BalancerSetup
{
    /// <summary>(a) HAProxy health checks on /readyz every 500 ms, fall 1 / rise 1, retries 3 with redispatch.</summary>
    HealthChecks,

    /// <summary>
    /// (b) No health checks: the driver puts the server in maintenance 1 s after its SIGTERM (the Kubernetes model:
    /// endpoint removal propagates on its own schedule), no retries, no redispatch.
    /// </summary>
    Propagation,
}

/// <summary>One configuration of the run: a balancer setup, with Roadrunner's rolling-restart options or without.</summary>
internal sealed record Configuration(BalancerSetup Setup, bool WithOptions)
{
    /// <summary>The ShutdownDelay of the "with" runs: above the 1 s propagation of setup (b) and the 500 ms probe of (a).</summary>
    public static readonly TimeSpan OptionsShutdownDelay = TimeSpan.FromSeconds(2);

    /// <summary>The DrainSpread of the "with" runs.</summary>
    public static readonly TimeSpan OptionsDrainSpread = TimeSpan.FromSeconds(2);

    public static IReadOnlyList<Configuration> All { get; } =
    [
        new(BalancerSetup.HealthChecks, WithOptions: false),
        new(BalancerSetup.HealthChecks, WithOptions: true),
        new(BalancerSetup.Propagation, WithOptions: false),
        new(BalancerSetup.Propagation, WithOptions: true),
    ];

    public TimeSpan ShutdownDelay => WithOptions ? OptionsShutdownDelay : TimeSpan.Zero;

    public TimeSpan DrainSpread => WithOptions ? OptionsDrainSpread : TimeSpan.Zero;

    public string Id => $"{(Setup == BalancerSetup.HealthChecks ? "a" : "b")}-{(WithOptions ? "on" : "off")}";

    public string Title =>
        $"({(Setup == BalancerSetup.HealthChecks ? "a" : "b")}) {(Setup == BalancerSetup.HealthChecks ? "readyz health checks" : "removed 1 s after SIGTERM")}, " +
        $"ShutdownDelay {ShutdownDelay.TotalSeconds:0} s, DrainSpread {DrainSpread.TotalSeconds:0} s";

    /// <summary>
    /// The runs the targets apply to: setup (a) with the options, and setup (b) with a ShutdownDelay above its
    /// propagation time. The others are measured and reported next to them.
    /// </summary>
    public bool IsTargeted => WithOptions;
}

/// <summary>Everything fixed for a whole fleet run.</summary>
internal sealed record FleetSettings
{
    public required string RepoRoot { get; init; }

    public required string ExampleDll { get; init; }

    public required string ExampleContentRoot { get; init; }

    public required string OutputDirectory { get; init; }

    public string LogDirectory => Path.Combine(OutputDirectory, "logs");

    public string HaproxyPath { get; init; } = "haproxy";

    public int Rounds { get; init; } = 2;

    public int Instances { get; init; } = 3;

    /// <summary>HostOptions.ShutdownTimeout of every instance.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Setup (b): how long after SIGTERM the server leaves the balancer.</summary>
    public TimeSpan Propagation { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Keep-alive connections of the HTTP load, each paced at <see cref="HttpRatePerConnection"/>.</summary>
    public int HttpConnections { get; init; } = 6;

    public int HttpRatePerConnection { get; init; } = 20;

    public int WebSockets { get; init; } = 200;

    public int SseStreams { get; init; } = 30;

    /// <summary>
    /// Instances log each drain acknowledgement (Debug) with microsecond timestamps, to compare when the server
    /// signalled a WebSocket with when the client saw its close.
    /// </summary>
    public bool DiagnoseDrain { get; init; }

    /// <summary>How long the load runs against the healthy fleet after each restart before the next SIGTERM.</summary>
    public TimeSpan Settle { get; init; } = TimeSpan.FromSeconds(1.5);
}
