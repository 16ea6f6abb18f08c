using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Options;
using Roadrunner.AspNetCore.Diagnostics;
using Roadrunner.AspNetCore.Listeners;

namespace Roadrunner.AspNetCore.Tls;

/// <summary>
/// The TLS side of one listener: the current <see cref="TlsGeneration"/> (published atomically; each handshake takes a
/// reference to the generation it used and the connection releases it when it closes), the client-certificate policy,
/// and the reload of certificate files (watched by a <see cref="CertificateFileWatcher"/>) or by code. A reload builds
/// the entries that changed and reuses the others; a file that does not load keeps its old certificate and is
/// reported (log, event, health) until a good load. Loading is done by <see cref="CertificateEntryLoader"/>, the
/// per-file decision and its failures by <see cref="CertificateFileReloader"/>, the reporting by
/// <see cref="CertificateReloadReporter"/>; this class owns the published generation and its lifecycle.
/// </summary>
internal sealed class ListenerTls : IDisposable
{
    private readonly string _name;
    private readonly ListenerOptions _options;
    private readonly RoadrunnerDiagnostics _diagnostics;
    private readonly TimeProvider _timeProvider;
    private readonly CertificateReloadReporter _reporter;
    private readonly CertificateFileReloader _fileReloader;
    private readonly Lock _lock = new();

    private TlsGeneration _current;
    private CertificateFileWatcher? _watcher;
    private bool _retired;
    private bool _watchingStopped;

    private ListenerTls(string name, ListenerOptions options, ClientCertificatePolicy? clientPolicy, TlsGeneration generation, RoadrunnerDiagnostics diagnostics, TimeProvider timeProvider)
    {
        _name = name;
        _options = options;
        ClientPolicy = clientPolicy;
        _current = generation;
        _diagnostics = diagnostics;
        _timeProvider = timeProvider;
        _reporter = new CertificateReloadReporter(name, diagnostics);
        _fileReloader = new CertificateFileReloader(name, options, clientPolicy, _reporter);
    }

    public ClientCertificatePolicy? ClientPolicy { get; }

    /// <summary>The generation new handshakes use.</summary>
    public TlsGeneration Current => Volatile.Read(ref _current);

    /// <summary>Why the last reload of some certificate failed (the old one is kept), or <see langword="null"/>.</summary>
    public string? ReloadProblem => _fileReloader.Problem;

    /// <summary>The watcher of the certificate files, while there is one (for tests).</summary>
    internal CertificateFileWatcher? Watcher => Volatile.Read(ref _watcher);

    public ListenerCertificateInfo CertificateInfo => Current.Default.Info;

    /// <summary>Loads every certificate of a TLS listener; <see langword="null"/> for a plaintext one. On failure nothing is left.</summary>
    /// <exception cref="OptionsValidationException">A certificate cannot be loaded or cannot serve; the message names the key.</exception>
    public static ListenerTls? Create(string name, ListenerOptions options, RoadrunnerDiagnostics diagnostics, TimeProvider timeProvider)
    {
        if (!options.UseTls)
        {
            return null;
        }

        var now = timeProvider.GetUtcNow();
        var policy = ClientCertificatePolicy.Create(name, options, diagnostics, timeProvider);
        try
        {
            var generation = CertificateEntryLoader.LoadGeneration(name, options, now, policy);
            return new ListenerTls(name, options, policy, generation, diagnostics, timeProvider);
        }
        catch
        {
            policy?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The TLS options for a handshake that starts now, chosen by the client hello's SNI name. The connection holds
    /// the generation until it closes, so the certificate it got outlives any reload while it is open.
    /// </summary>
    public SslServerAuthenticationOptions ForHandshake(ConnectionContext connection, string? serverName)
    {
        while (true)
        {
            var generation = Current;
            if (generation.TryAcquire())
            {
                if (connection is TrackedConnection tracked)
                {
                    tracked.HoldTls(generation);
                }
                else
                {
                    // Not ours to track (never the case for listener connections): nothing would release it.
                    generation.Release();
                }

                return generation.Select(serverName);
            }

            // Released between the read and the acquire: a newer one is published, unless the listener is closed.
            if (ReferenceEquals(generation, Current))
            {
                throw new AuthenticationException($"Listener '{_name}' is closed.");
            }
        }
    }

    /// <summary>Starts watching the certificate files, when there are any and <see cref="ListenerOptions.ReloadCertificates"/> is on.</summary>
    public void StartWatching()
    {
        lock (_lock)
        {
            // Once stopped (stop, drain), a replacement from code does not start watching again.
            if (_retired || _watchingStopped || !_options.ReloadCertificates)
            {
                return;
            }

            _watcher?.Dispose();
            _watcher = null;
            var directories = CertificateFileReloader.DirectoriesOf(Current);
            if (directories.Count == 0)
            {
                return;
            }

            var poll = _options.CertificatePollInterval;
            _watcher = new CertificateFileWatcher(
                directories,
                poll,
                _timeProvider,
                ReloadFiles,
                (directory, reason) => RoadrunnerLog.CertificateWatchFailed(_diagnostics.ListenersLogger, _name, directory, reason, (long)poll.TotalSeconds));
        }
    }

    /// <summary>Stops watching (stop, drain). Idempotent.</summary>
    public void StopWatching()
    {
        lock (_lock)
        {
            _watchingStopped = true;
            _watcher?.Dispose();
            _watcher = null;
        }
    }

    /// <summary>The listener is closed (no connection left): stop watching and release the current generation. Idempotent.</summary>
    public void Retire()
    {
        TlsGeneration generation;
        lock (_lock)
        {
            if (_retired)
            {
                return;
            }

            _retired = true;
            _watcher?.Dispose();
            _watcher = null;
            generation = _current;
        }

        generation.Release();
        ClientPolicy?.Dispose();
    }

    /// <summary>Replaces the default certificate with one given in code (which stays the caller's); SNI certificates stay.</summary>
    /// <exception cref="OptionsValidationException">It cannot serve TLS; the old one is kept.</exception>
    public void Replace(X509Certificate2 certificate)
    {
        var key = $"Roadrunner:Listeners:{_name}:Certificate";
        var tlsOptions = CertificateLoader.CreateServerOptions(_name, key, string.Empty, _options, certificate, _timeProvider.GetUtcNow(), ClientPolicy);
        Publish(new CertificateEntry(null, null, certificate, owned: false, tlsOptions, []), path: null);
    }

    /// <summary>Replaces the default certificate with one from files, which are watched from now on; SNI certificates stay.</summary>
    /// <exception cref="OptionsValidationException">The files do not load or the certificate cannot serve TLS; the old one is kept.</exception>
    public void Replace(ListenerCertificate source)
    {
        source = source.Clone();
        if (string.IsNullOrWhiteSpace(source.Path))
        {
            throw CertificateLoader.Invalid(_name, $"Roadrunner:Listeners:{_name}:CertificatePath: a replacement certificate needs a Path.");
        }

        var entry = CertificateEntryLoader.Load(_name, _options, null, source, _timeProvider.GetUtcNow(), ClientPolicy);
        Publish(entry, source.Path);
        StartWatching();
    }

    private void Publish(CertificateEntry defaultEntry, string? path)
    {
        TlsGeneration old;
        lock (_lock)
        {
            if (_retired)
            {
                defaultEntry.Release();
                throw new InvalidOperationException($"Listener '{_name}' is closed.");
            }

            old = _current;
            var sni = old.Sni.Select(e => e.AddReference()).ToList();
            Volatile.Write(ref _current, new TlsGeneration(defaultEntry, sni));
            _fileReloader.ForgetDefaultFailure();
            _fileReloader.UpdateProblem();
        }

        _reporter.Reloaded(null, path, old.Default.Info.Thumbprint, defaultEntry.Info);
        old.Release();
    }

    /// <summary>Compares every certificate file with what is loaded and reloads those that changed. Called by the watcher.</summary>
    internal void ReloadFiles()
    {
        var reloaded = new List<(CertificateEntry Entry, string OldThumbprint)>();
        TlsGeneration? old = null;
        lock (_lock)
        {
            if (_retired)
            {
                return;
            }

            var current = _current;
            var next = _fileReloader.NextGeneration(current, _timeProvider.GetUtcNow(), reloaded);
            if (next is not null)
            {
                Volatile.Write(ref _current, next);
                old = current;
            }

            _fileReloader.UpdateProblem();
        }

        foreach (var (entry, oldThumbprint) in reloaded)
        {
            _reporter.Reloaded(entry.Host, entry.Source?.Path, oldThumbprint, entry.Info);
        }

        old?.Release();
    }

    /// <summary>Same as <see cref="Retire"/>.</summary>
    public void Dispose() => Retire();
}
