using System.Globalization;

namespace Roadrunner.Fleet;

/// <summary>
/// One instance of examples/Roadrunner.Example: <c>dotnet Roadrunner.Example.dll</c> on its own public and admin
/// ports, started, SIGTERMed and restarted on the same ports (HAProxy's configuration names them).
/// </summary>
internal sealed class ExampleInstance(int index, int publicPort, int adminPort, FleetSettings settings, Configuration configuration) : IAsyncDisposable
{
    private readonly List<ChildProcess> _exited = [];
    private ChildProcess? _process;
    private int _generation;

    public int Index => index;

    public int PublicPort => publicPort;

    public string Name => $"srv{index}";

    public int Pid => _process?.Pid ?? 0;

    public void Start()
    {
        if (_process is { HasExited: false })
        {
            throw new InvalidOperationException($"{Name} is still running.");
        }

        if (_process is not null)
        {
            _exited.Add(_process); // Disposed at the end: its log may still be receiving the last lines.
        }

        var arguments = new List<string>
        {
            settings.ExampleDll,
            $"--Roadrunner:Listeners:public:Port={publicPort}",
            $"--Roadrunner:Listeners:admin:Port={adminPort}",
            $"--Roadrunner:ShutdownDelay={configuration.ShutdownDelay.ToString("c", CultureInfo.InvariantCulture)}",
            $"--Roadrunner:DrainSpread={configuration.DrainSpread.ToString("c", CultureInfo.InvariantCulture)}",
        };
        if (settings.DiagnoseDrain)
        {
            arguments.Add("--Logging:LogLevel:Roadrunner.AspNetCore.Drain=Debug");
            arguments.Add("--Logging:Console:FormatterOptions:TimestampFormat=HH:mm:ss.ffffff ");
            arguments.Add("--Logging:Console:FormatterOptions:UseUtcTimestamp=true");
        }

        var environment = new Dictionary<string, string>
        {
            // The host setting shutdownTimeoutSeconds (HostOptions.ShutdownTimeout), read from DOTNET_-prefixed variables.
            ["DOTNET_SHUTDOWNTIMEOUTSECONDS"] = ((int)settings.ShutdownTimeout.TotalSeconds).ToString(CultureInfo.InvariantCulture),

            // Three instances, HAProxy and the clients share the machine's cores: workstation GC keeps each one small.
            ["DOTNET_gcServer"] = "0",
        };
        _generation++;
        var log = Path.Combine(settings.LogDirectory, $"{configuration.Id}-{Name}-{_generation}.log");

        // The example's content root is its project folder (appsettings.json is not copied to bin/).
        _process = ChildProcess.Start("dotnet", arguments, settings.ExampleContentRoot, log, environment);
    }

    public void Terminate() => (_process ?? throw new InvalidOperationException($"{Name} is not running.")).Terminate();

    /// <summary>The exit code, or <see langword="null"/> if the process did not exit within <paramref name="timeout"/>.</summary>
    public async Task<int?> WaitForExitAsync(TimeSpan timeout)
    {
        var process = _process ?? throw new InvalidOperationException($"{Name} is not running.");
        return await process.WaitForExitAsync(timeout) ? process.ExitCode : null;
    }

    /// <summary>Polls <c>/readyz</c> on the instance itself (not through HAProxy) until it answers 200.</summary>
    public async Task<bool> WaitReadyAsync(HttpClient http, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var until = DateTime.UtcNow + timeout;
        var url = new Uri($"http://127.0.0.1:{publicPort}/readyz");
        using var pace = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        while (DateTime.UtcNow < until && _process is { HasExited: false })
        {
            try
            {
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                attempt.CancelAfter(TimeSpan.FromSeconds(2));
                using var response = await http.GetAsync(url, attempt.Token);
                if ((int)response.StatusCode == 200)
                {
                    return true;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                // Not listening yet.
            }

            await pace.WaitForNextTickAsync(cancellationToken);
        }

        return false;
    }

    /// <summary>Stops the instance if it still runs: SIGTERM, then SIGKILL after the shutdown timeout and a margin.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_process is { } process)
        {
            await process.StopAsync(settings.ShutdownTimeout + TimeSpan.FromSeconds(5));
            _exited.Add(process);
            _process = null;
        }

        foreach (var old in _exited)
        {
            await old.DisposeAsync();
        }

        _exited.Clear();
    }
}
