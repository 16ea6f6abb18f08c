using System.Diagnostics;
using System.Text;

namespace Roadrunner.AspNetCore.Tests.Infrastructure;

/// <summary>
/// A process the test started: its stdout and stderr captured line by line, waits for a line with a deadline, and on
/// dispose the kill of this process (and its children) only, through the handle it was started with.
/// </summary>
public sealed class ChildProcess : IDisposable
{
    private readonly Process _process;
    private readonly Lock _lock = new();
    private readonly List<string> _stdout = [];
    private readonly List<string> _stderr = [];
    private readonly List<(Func<string, bool> Predicate, TaskCompletionSource<string?> Found)> _waiters = [];
    private int _streamsOpen = 2;

    private ChildProcess(Process process) => _process = process;

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>The exit code, once the process has exited.</summary>
    public int? ExitCode => _process.HasExited ? _process.ExitCode : null;

    public IReadOnlyList<string> StdoutLines
    {
        get
        {
            lock (_lock)
            {
                return [.. _stdout];
            }
        }
    }

    public IReadOnlyList<string> StderrLines
    {
        get
        {
            lock (_lock)
            {
                return [.. _stderr];
            }
        }
    }

    public static ChildProcess Start(string fileName, IEnumerable<string> arguments, IReadOnlyDictionary<string, string?>? environment = null, string? workingDirectory = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
            WorkingDirectory = workingDirectory ?? AppContext.BaseDirectory,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            info.Environment[name] = value;
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var child = new ChildProcess(process);
        process.OutputDataReceived += (_, e) => child.OnLine(child._stdout, e.Data);
        process.ErrorDataReceived += (_, e) => child.OnLine(child._stderr, e.Data);
        if (!process.Start())
        {
            process.Dispose();
            throw new InvalidOperationException($"Could not start {fileName}.");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>
    /// The first stdout line (already seen or still to come) that matches; <see langword="null"/> if none came within
    /// the timeout, or the process exited without writing one.
    /// </summary>
    public async Task<string?> WaitForLineAsync(Func<string, bool> predicate, TimeSpan timeout)
    {
        var found = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            var seen = _stdout.FirstOrDefault(predicate);
            if (seen is not null || _streamsOpen == 0)
            {
                return seen;
            }

            _waiters.Add((predicate, found));
        }

        var done = await Task.WhenAny(found.Task, Task.Delay(timeout)).ConfigureAwait(false);
        lock (_lock)
        {
            _waiters.RemoveAll(w => w.Found == found);
        }

        return done == found.Task ? await found.Task.ConfigureAwait(false) : null;
    }

    /// <summary>True if the process exited (and its output was read to the end) within the timeout.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>The exit status and the last lines of both streams, for a failure message.</summary>
    public string Describe(int lines = 30)
    {
        string Tail(IReadOnlyList<string> all) => string.Join('\n', all.Skip(Math.Max(0, all.Count - lines)));
        var status = HasExited
            ? $"exited with code {_process.ExitCode}"
            : "still running";
        return $"pid {Id} {status}\n--- stdout (last {lines} lines) ---\n{Tail(StdoutLines)}\n--- stderr (last {lines} lines) ---\n{Tail(StderrLines)}";
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(TimeSpan.FromSeconds(10));
            }
        }
        catch (InvalidOperationException)
        {
            // It exited between the check and the kill.
        }

        _process.Dispose();
    }

    private void OnLine(List<string> lines, string? line)
    {
        lock (_lock)
        {
            if (line is null)
            {
                // End of one stream; once both have ended no waited-for line can come any more.
                if (--_streamsOpen == 0)
                {
                    foreach (var (_, found) in _waiters)
                    {
                        found.TrySetResult(null);
                    }

                    _waiters.Clear();
                }

                return;
            }

            lines.Add(line);
            if (lines != _stdout)
            {
                return;
            }

            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Predicate(line))
                {
                    _waiters[i].Found.TrySetResult(line);
                    _waiters.RemoveAt(i);
                }
            }
        }
    }
}
