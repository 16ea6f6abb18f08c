using Microsoft.Extensions.Options;
using Roadrunner.AspNetCore.Listeners;

namespace Roadrunner.AspNetCore.Tls;

/// <summary>
/// Decides, entry by entry, whether a listener's certificate files hold a new certificate that loads, and keeps the
/// failures: a file that does not load keeps its old certificate and is reported once per content (not at every poll),
/// and the failures make the listener's reload problem (health, ListenerInfo) until a good load. Separate from
/// <see cref="ListenerTls"/>, which publishes the generations this builds and owns their lifecycle. Not thread-safe:
/// every call but <see cref="Problem"/> is made under the listener's TLS lock.
/// </summary>
internal sealed class CertificateFileReloader
{
    private readonly string _name;
    private readonly ListenerOptions _options;
    private readonly ClientCertificatePolicy? _clientPolicy;
    private readonly CertificateReloadReporter _reporter;

    // Per entry (key: host pattern, "" for the default) that failed to reload: the message and the content that failed,
    // so the same broken bytes are reported once, not at every poll.
    private readonly Dictionary<string, (string Message, byte[] Hash)> _failures = new(StringComparer.OrdinalIgnoreCase);
    private string? _problem;

    public CertificateFileReloader(string name, ListenerOptions options, ClientCertificatePolicy? clientPolicy, CertificateReloadReporter reporter)
    {
        _name = name;
        _options = options;
        _clientPolicy = clientPolicy;
        _reporter = reporter;
    }

    /// <summary>Why the last reload of some certificate failed (the old one is kept), or <see langword="null"/>.</summary>
    public string? Problem => Volatile.Read(ref _problem);

    /// <summary>The directories holding the files of <paramref name="generation"/>'s certificates, to watch.</summary>
    public static List<string> DirectoriesOf(TlsGeneration generation) =>
        generation.Entries
            .Where(e => e.Source is not null)
            .SelectMany(e => new[] { e.Source!.Path, e.Source.KeyPath })
            .Where(p => !string.IsNullOrWhiteSpace(p))
            .Select(p => Path.GetDirectoryName(Path.GetFullPath(p!))!)
            .Distinct(StringComparer.Ordinal)
            .ToList();

    /// <summary>The default certificate was replaced: a failure of its old files is no longer a problem.</summary>
    public void ForgetDefaultFailure() => _failures.Remove(string.Empty);

    /// <summary>Publishes <see cref="Problem"/> from the failures recorded so far.</summary>
    public void UpdateProblem() =>
        Volatile.Write(ref _problem, _failures.Count == 0 ? null : string.Join(" ", _failures.Values.Select(f => f.Message)));

    /// <summary>
    /// The generation that follows <paramref name="current"/> when some of its files hold a new certificate that loads
    /// (each added to <paramref name="reloaded"/> with the thumbprint it replaces), or <see langword="null"/> when none
    /// does. The new generation shares the unchanged entries (one more reference each).
    /// </summary>
    public TlsGeneration? NextGeneration(TlsGeneration current, DateTimeOffset now, List<(CertificateEntry Entry, string OldThumbprint)> reloaded)
    {
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

        if (reloaded.Count == 0)
        {
            return null;
        }

        var sni = next.Skip(1).Select(e => reloaded.Any(r => ReferenceEquals(r.Entry, e)) ? e : e.AddReference()).ToList();
        var defaultEntry = reloaded.Any(r => ReferenceEquals(r.Entry, next[0])) ? next[0] : next[0].AddReference();
        return new TlsGeneration(defaultEntry, sni);
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
            Fail(entry, failureKey, $"{CertificateEntryLoader.KeyOf(_name, entry.Host)}: cannot read '{source.Path}'{(source.KeyPath is null ? string.Empty : $" or '{source.KeyPath}'")}: {ex.Message}", []);
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
            loaded = CertificateEntryLoader.Load(_name, _options, entry.Host, source, now, _clientPolicy);
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
        _reporter.Failed(entry, message);
    }
}
