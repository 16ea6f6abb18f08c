using System.Net.Security;

namespace Roadrunner.AspNetCore.Tls;

/// <summary>
/// The certificates a TLS listener presents at one moment: the default one and those by SNI host name. Immutable;
/// a reload publishes a new generation. Reference-counted: the listener holds one reference while the generation is
/// current, and every connection that did its handshake with it holds one until it closes; the last release
/// releases the certificates, which are disposed once no generation uses them.
/// </summary>
internal sealed class TlsGeneration
{
    private readonly Dictionary<string, CertificateEntry> _exact = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, CertificateEntry> _wildcard = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, CertificateEntry>.AlternateLookup<ReadOnlySpan<char>> _wildcardLookup;
    private int _references = 1;

    /// <param name="defaultEntry">The certificate for clients whose SNI name matches no pattern (or who send none).</param>
    /// <param name="sni">The certificates by host pattern (<c>api.example.com</c> or <c>*.example.com</c>).</param>
    /// <remarks>Takes over one reference of each entry.</remarks>
    public TlsGeneration(CertificateEntry defaultEntry, IReadOnlyList<CertificateEntry> sni)
    {
        Default = defaultEntry;
        Sni = sni;
        foreach (var entry in sni)
        {
            if (entry.Host!.StartsWith("*.", StringComparison.Ordinal))
            {
                _wildcard[entry.Host[2..]] = entry;
            }
            else
            {
                _exact[entry.Host] = entry;
            }
        }

        _wildcardLookup = _wildcard.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public CertificateEntry Default { get; }

    public IReadOnlyList<CertificateEntry> Sni { get; }

    public IEnumerable<CertificateEntry> Entries => Sni.Prepend(Default);

    /// <summary>Whether it has been retired and its last connection is gone.</summary>
    public bool IsReleased => Volatile.Read(ref _references) == 0;

    /// <summary>
    /// The options for a client hello's SNI name: an exact name first, then a one-label wildcard (<c>*.example.com</c>
    /// matches <c>a.example.com</c>, not <c>example.com</c> nor <c>a.b.example.com</c>), else the default. No allocation.
    /// </summary>
    public SslServerAuthenticationOptions Select(string? serverName)
    {
        if (Sni.Count == 0 || string.IsNullOrEmpty(serverName))
        {
            return Default.Options;
        }

        if (_exact.TryGetValue(serverName, out var exact))
        {
            return exact.Options;
        }

        var dot = serverName.IndexOf('.', StringComparison.Ordinal);
        return dot > 0 && _wildcardLookup.TryGetValue(serverName.AsSpan(dot + 1), out var wildcard)
            ? wildcard.Options
            : Default.Options;
    }

    /// <summary>Takes a reference for a connection; <see langword="false"/> when the generation is already released.</summary>
    public bool TryAcquire()
    {
        while (true)
        {
            var references = Volatile.Read(ref _references);
            if (references == 0)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _references, references + 1, references) == references)
            {
                return true;
            }
        }
    }

    public void Release()
    {
        if (Interlocked.Decrement(ref _references) == 0)
        {
            foreach (var entry in Entries)
            {
                entry.Release();
            }
        }
    }
}
