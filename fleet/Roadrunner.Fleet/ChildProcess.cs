using System.Collections.Concurrent;
using System.Diagnostics;

namespace Roadrunner.Fleet;

/// <summary>
/// A process this driver started: its output appended to a log file, SIGTERM and exit waits on its own pid, and a
/// stop that SIGTERMs it, waits, and only then SIGKILLs it (by the handle it was started with, never by name).
/// </summary>
internal sealed class ChildProcess : IAsyncDisposable
{
    private static readonly ConcurrentDictionary<ChildProcess, byte> Live = new();
    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly Lock _lock = new();

    private ChildProcess(Process process, StreamWriter log)
    {
        _process = process;
        _log = log;
    }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public static ChildProcess Start(string fileName, IEnumerable<string> arguments, string workingDirectory, string logPath, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(logPath)!);
        var log = new StreamWriter(logPath, append: true) { AutoFlush = true };
        log.WriteLine($"# {DateTimeOffset.Now:O} {fileName} {string.Join(' ', info.ArgumentList)}");
        var process = new Process { StartInfo = info };
        var child = new ChildProcess(process, log);
        process.OutputDataReceived += (_, e) => child.Write(e.Data);
        process.ErrorDataReceived += (_, e) => child.Write(e.Data);
        try
        {
            if (!process.Start())
            {
                throw new InvalidOperationException($"Could not start {fileName}.");
            }
        }
        catch
        {
            process.Dispose();
            log.Dispose();
            throw;
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        Live[child] = 0;
        return child;
    }

    public void Terminate() => Posix.Terminate(_process.Id);

    /// <summary>Waits for the exit; <see langword="false"/> when <paramref name="timeout"/> passed first.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>SIGTERM, up to <paramref name="grace"/> to exit, then SIGKILL of this process only.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (_process.HasExited)
        {
            return;
        }

        try
        {
            Terminate();
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // Fall through to the kill below.
        }

        if (!await WaitForExitAsync(grace) && !_process.HasExited)
        {
            _process.Kill(entireProcessTree: false);
            await WaitForExitAsync(TimeSpan.FromSeconds(5));
        }
    }

    /// <summary>
    /// Stops every child still running (the driver was interrupted: SIGINT or SIGTERM), each by its own pid: SIGTERM,
    /// up to <paramref name="grace"/> for all of them, then SIGKILL of those left.
    /// </summary>
    public static Task StopAllAsync(TimeSpan grace) => Task.WhenAll(Live.Keys.Select(c => c.StopAsync(grace)));

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.FromSeconds(15));
        Live.TryRemove(this, out _);
        _process.Dispose();
        lock (_lock)
        {
            _log.Dispose();
        }
    }

    private void Write(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_lock)
        {
            try
            {
                _log.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
                // Output that arrives after the log was closed at the end of the run.
            }
        }
    }
}
