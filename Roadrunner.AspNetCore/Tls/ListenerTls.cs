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
/// reported (log, event, health) until a good load.
/// </summary>
internal sealed class ListenerTls : IDisposable
{
    private readonly string _name;
    private readonly ListenerOptions _options;
    private readonly RoadrunnerDiagnostics _diagnostics;
    private readonly TimeProvider _timeProvider;
    private readonly Lock _lock = new();

    // Per entry (key: host pattern, "" for the default) that failed to reload: the message and the content that failed,
    // so the same broken bytes are reported once, not at every poll.
    private readonly Dictionary<string, (string Message, byte[] Hash)> _failures = new(StringComparer.OrdinalIgnoreCase);
    private TlsGeneration _current;
    private CertificateFileWatcher? _watcher;
    private string? _problem;
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
    }

    public ClientCertificatePolicy? ClientPolicy { get; }

    /// <summary>The generation new handshakes use.</summary>
    public TlsGeneration Current => Volatile.Read(ref _current);

    /// <summary>Why the last reload of some certificate failed (the old one is kept), or <see langword="null"/>.</summary>
    public string? ReloadProblem => Volatile.Read(ref _problem);

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
        var entries = new List<CertificateEntry>();
        try
        {
            var defaultSource = string.IsNullOrWhiteSpace(options.CertificatePath)
                ? null
                : new ListenerCertificate { Path = options.CertificatePath, Password = options.CertificatePassword, KeyPath = options.CertificateKeyPath };
            byte[] hash = [];
            var tlsOptions = CertificateLoader.CreateTlsOptions(
                name,
                options,
                now,
                () => defaultSource is null
                    ? CertificateLoader.Load(name, options, now)
                    : CertificateLoader.LoadFile(name, $"Roadrunner:Listeners:{name}:CertificatePath", defaultSource, out hash),
                out var owned,
                policy)!;
            var defaultEntry = new CertificateEntry(null, defaultSource, owned ?? options.Certificate!, owned is not null, tlsOptions, hash);
            entries.Add(defaultEntry);

            foreach (var (host, source) in options.SniCertificates ?? new Dictionary<string, ListenerCertificate>())
            {
                entries.Add(LoadEntry(name, options, host, source, now, policy));
            }

            var generation = new TlsGeneration(defaultEntry, entries.Skip(1).ToList());
            return new ListenerTls(name, options, policy, generation, diagnostics, timeProvider);
        }
        catch
        {
            foreach (var entry in entries)
            {
                entry.Release();
            }

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
            var directories = Current.Entries
                .Where(e => e.Source is not null)
                .SelectMany(e => new[] { e.Source!.Path, e.Source.KeyPath })
                .Where(p => !string.IsNullOrWhiteSpace(p))
                .Select(p => Path.GetDirectoryName(Path.GetFullPath(p!))!)
                .Distinct(StringComparer.Ordinal)
                .ToList();
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

        var entry = LoadEntry(_name, _options, null, source, _timeProvider.GetUtcNow(), ClientPolicy);
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
            _failures.Remove(string.Empty);
            UpdateProblem();
        }

        Reloaded(null, path, old.Default.Info.Thumbprint, defaultEntry.Info);
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
            var now = _timeProvider.GetUtcNow();
            var next = new List<CertificateEntry>();
            foreach (var entry in current.Entries)
            {
                var replacement = TryReload(entry, now);
                next.Add(replacement ?? entry);
                if (replacement is not null)
                {
                    reloaded.Add((replacement, entry.Info.Thumbprint));
                }
            }

            if (reloaded.Count > 0)
            {
                var sni = next.Skip(1).Select(e => reloaded.Any(r => ReferenceEquals(r.Entry, e)) ? e : e.AddReference()).ToList();
                var defaultEntry = reloaded.Any(r => ReferenceEquals(r.Entry, next[0])) ? next[0] : next[0].AddReference();
                Volatile.Write(ref _current, new TlsGeneration(defaultEntry, sni));
                old = current;
            }

            UpdateProblem();
        }

        foreach (var (entry, oldThumbprint) in reloaded)
        {
            Reloaded(entry.Host, entry.Source?.Path, oldThumbprint, entry.Info);
        }

        old?.Release();
    }

    /// <summary>A new entry when the entry's files hold a different certificate that loads; otherwise null (failures recorded).</summary>
    private CertificateEntry? TryReload(CertificateEntry entry, DateTimeOffset now)
    {
        if (entry.Source is not { } source)
        {
            return null;
        }

        var failureKey = entry.Host ?? string.Empty;
        byte[] hash;
        try
        {
            hash = CertificateLoader.Hash(File.ReadAllBytes(source.Path!), string.IsNullOrWhiteSpace(source.KeyPath) ? null : File.ReadAllBytes(source.KeyPath));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Fail(entry, failureKey, $"{KeyOf(entry)}: cannot read '{source.Path}'{(source.KeyPath is null ? string.Empty : $" or '{source.KeyPath}'")}: {ex.Message}", []);
            return null;
        }

        if (hash.AsSpan().SequenceEqual(entry.ContentHash))
        {
            // Back to what is loaded (a broken update was undone): nothing to report any more.
            _failures.Remove(failureKey);
            return null;
        }

        if (_failures.TryGetValue(failureKey, out var failed) && hash.AsSpan().SequenceEqual(failed.Hash))
        {
            return null; // The same broken content: reported already.
        }

        CertificateEntry loaded;
        try
        {
            loaded = LoadEntry(_name, _options, entry.Host, source, now, ClientPolicy);
        }
        catch (OptionsValidationException ex)
        {
            Fail(entry, failureKey, ex.Failures.FirstOrDefault() ?? ex.Message, hash);
            return null;
        }

        _failures.Remove(failureKey);
        if (loaded.Info.Thumbprint == entry.Info.Thumbprint)
        {
            // Rewritten with the same certificate: keep the one in use, remember the new bytes.
            loaded.Release();
            entry.ContentHash = loaded.ContentHash;
            return null;
        }

        return loaded;
    }

    private void Fail(CertificateEntry entry, string failureKey, string message, byte[] hash)
    {
        _failures[failureKey] = (message, hash);
        var path = entry.Source?.Path;
        var kept = entry.Info.Thumbprint;
        RoadrunnerLog.CertificateReloadFailed(_diagnostics.ListenersLogger, _name, entry.Host ?? "(default)", path, message, kept);
        _diagnostics.Metrics.CertificateReload(_name, "failed");
        _diagnostics.Write(
            RoadrunnerEvents.CertificateReloadFailed,
            (_name, entry.Host, path, message, kept),
            static s => new CertificateReloadFailedEvent(s._name, s.Host, s.path, s.message, s.kept));
    }

    private void Reloaded(string? host, string? path, string oldThumbprint, ListenerCertificateInfo certificate)
    {
        RoadrunnerLog.CertificateReloaded(_diagnostics.ListenersLogger, _name, host ?? "(default)", certificate.Subject, certificate.Thumbprint, certificate.NotAfter, oldThumbprint);
        _diagnostics.Metrics.CertificateReload(_name, "reloaded");
        _diagnostics.Write(
            RoadrunnerEvents.CertificateReloaded,
            (_name, host, path, oldThumbprint, certificate),
            static s => new CertificateReloadedEvent(s._name, s.host, s.path, s.oldThumbprint, s.certificate.Thumbprint, s.certificate.NotAfter));
    }

    private void UpdateProblem() =>
        Volatile.Write(ref _problem, _failures.Count == 0 ? null : string.Join(" ", _failures.Values.Select(f => f.Message)));

    private string KeyOf(CertificateEntry entry) =>
        entry.Host is null ? $"Roadrunner:Listeners:{_name}:CertificatePath" : $"Roadrunner:Listeners:{_name}:SniCertificates:{entry.Host}:Path";

    private static CertificateEntry LoadEntry(string name, ListenerOptions options, string? host, ListenerCertificate source, DateTimeOffset now, ClientCertificatePolicy? policy)
    {
        var key = host is null ? $"Roadrunner:Listeners:{name}:CertificatePath" : $"Roadrunner:Listeners:{name}:SniCertificates:{host}:Path";
        var certificate = CertificateLoader.LoadFile(name, key, source, out var hash);
        try
        {
            var tlsOptions = CertificateLoader.CreateServerOptions(name, key, $" from '{source.Path}'", options, certificate, now, policy);
            return new CertificateEntry(host, source, certificate, owned: true, tlsOptions, hash);
        }
        catch
        {
            certificate.Dispose();
            throw;
        }
    }

    /// <summary>Same as <see cref="Retire"/>.</summary>
    public void Dispose() => Retire();
}
