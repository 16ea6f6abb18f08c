namespace Roadrunner.AspNetCore.Tls;

/// <summary>
/// Tells a listener that its certificate files may have changed: a <see cref="FileSystemWatcher"/> per directory holding
/// them (the directory, not the file: a Kubernetes secret volume swaps its <c>..data</c> symlink, and the files are
/// symlinks through it, so the change is a rename in the directory), debounced so a burst of writes becomes one reload,
/// plus a polling timer for file systems without notifications or when watchers run out. The listener then compares
/// the files' content, so a spurious notification costs a read and nothing else.
/// </summary>
internal sealed class CertificateFileWatcher : IDisposable
{
    /// <summary>Writes of one update (certificate, then key; a directory swap) arrive within this time and become one reload.</summary>
    public static readonly TimeSpan Debounce = TimeSpan.FromMilliseconds(300);

    private static int s_active;

    private readonly List<FileSystemWatcher> _watchers = [];
    private readonly ITimer _debounce;
    private readonly ITimer? _poll;
    private readonly Action _onChange;
    private int _disposed;

    /// <param name="directories">The directories of the certificate files.</param>
    /// <param name="pollInterval">How often to call <paramref name="onChange"/> regardless; zero: never.</param>
    /// <param name="timeProvider">Timers.</param>
    /// <param name="onChange">Called on a timer thread when the files may have changed (the debounce and the poll may overlap: the callee serializes).</param>
    /// <param name="onWatchFailed">Called for a directory that cannot be watched; polling covers it.</param>
    public CertificateFileWatcher(
        IEnumerable<string> directories, TimeSpan pollInterval, TimeProvider timeProvider, Action onChange, Action<string, string> onWatchFailed)
    {
        _onChange = onChange;
        _debounce = timeProvider.CreateTimer(static s => ((CertificateFileWatcher)s!).Fire(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        foreach (var directory in directories)
        {
            FileSystemWatcher? watcher = null;
            try
            {
                watcher = new FileSystemWatcher(directory)
                {
                    IncludeSubdirectories = false,
                    NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.CreationTime,
                };
                watcher.Changed += OnEvent;
                watcher.Created += OnEvent;
                watcher.Deleted += OnEvent;
                watcher.Renamed += OnEvent;

                // A lost notification (buffer overflow) may have been a certificate change.
                watcher.Error += (_, _) => Schedule();
                watcher.EnableRaisingEvents = true;
                _watchers.Add(watcher);
            }
            catch (Exception ex) when (ex is IOException or ArgumentException or PlatformNotSupportedException or UnauthorizedAccessException)
            {
                // On Linux the per-user inotify limits (fs.inotify.max_user_instances / max_user_watches) end here.
                watcher?.Dispose();
                onWatchFailed(directory, ex.Message);
            }
        }

        if (pollInterval > TimeSpan.Zero)
        {
            _poll = timeProvider.CreateTimer(static s => ((CertificateFileWatcher)s!).Fire(), this, pollInterval, pollInterval);
        }

        Interlocked.Increment(ref s_active);
    }

    /// <summary>Watchers alive in the process (not disposed): a test checks that stopped listeners leave none.</summary>
    public static int Active => Volatile.Read(ref s_active);

    /// <summary>Directories watched with notifications (the rest are polled only).</summary>
    public int WatchedDirectories => _watchers.Count;

    public bool IsDisposed => Volatile.Read(ref _disposed) == 1;

    private void OnEvent(object sender, FileSystemEventArgs e) => Schedule();

    private void Schedule()
    {
        if (!IsDisposed)
        {
            try
            {
                _debounce.Change(Debounce, Timeout.InfiniteTimeSpan);
            }
            catch (ObjectDisposedException)
            {
                // Disposed between the check and the call.
            }
        }
    }

    private void Fire()
    {
        if (!IsDisposed)
        {
            _onChange();
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        foreach (var watcher in _watchers)
        {
            watcher.EnableRaisingEvents = false;
            watcher.Dispose();
        }

        _debounce.Dispose();
        _poll?.Dispose();
        Interlocked.Decrement(ref s_active);
    }
}
