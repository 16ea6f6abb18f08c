using System.Globalization;
using System.Net;
using System.Reflection;

namespace Roadrunner.AspNetCore.Listeners;

/// <summary>
/// What differs between two sets of a listener's options, and whether it can change on the running listener. The fixed
/// keys shape the socket or the TLS setup; every other property (the connection cap and its behaviour, drain spread,
/// shutdown order and the per-listener limits) is read from <see cref="RuntimeListener.Options"/> when needed, so it changes live.
/// </summary>
internal static class ListenerOptionsChanges
{
    /// <summary>Keys a running listener cannot change: a new socket or TLS setup is needed (stop and start, or a reload).</summary>
    public static readonly IReadOnlyList<string> FixedKeys =
    [
        nameof(ListenerOptions.Address),
        nameof(ListenerOptions.Port),
        nameof(ListenerOptions.Protocols),
        nameof(ListenerOptions.UseTls),
        nameof(ListenerOptions.Certificate),
        nameof(ListenerOptions.CertificatePath),
        nameof(ListenerOptions.CertificatePassword),
        nameof(ListenerOptions.CertificateKeyPath),
        nameof(ListenerOptions.CertificateSubject),
        nameof(ListenerOptions.CertificateStoreName),
        nameof(ListenerOptions.CertificateStoreLocation),

        // Read once when the listener starts (its accept path, socket file and TLS set-up): a reload replaces the
        // listener for them, and UpdateAsync refuses them rather than accepting a change that would do nothing.
        nameof(ListenerOptions.ProxyProtocol),
        nameof(ListenerOptions.TrustedProxies),
        nameof(ListenerOptions.ProxyProtocolHeaderTimeout),
        nameof(ListenerOptions.UnixSocketMode),
        nameof(ListenerOptions.ReloadCertificates),
        nameof(ListenerOptions.CertificatePollInterval),
        nameof(ListenerOptions.SniCertificates),
        nameof(ListenerOptions.ClientCertificateMode),
        nameof(ListenerOptions.ClientCertificateAuthorityPaths),
        nameof(ListenerOptions.ClientCertificateThumbprints),
        nameof(ListenerOptions.ClientCertificateRevocationMode),
    ];

    // Every public property but the fixed ones, so a limit added to ListenerOptions is live-updatable and compared
    // without a change here. Only update and reload paths use this, never a request or an accept.
    private static readonly PropertyInfo[] LiveProperties = [.. typeof(ListenerOptions)
        .GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .Where(p => p.CanRead && p.GetIndexParameters().Length == 0 && !FixedKeys.Contains(p.Name))
        .OrderBy(p => p.Name, StringComparer.Ordinal)];

    /// <summary>
    /// The first fixed key whose value differs, or <see langword="null"/>. A port that equals the running listener's
    /// bound port is not a change (a caller may pass the real port of a listener started on port 0).
    /// </summary>
    public static string? FirstFixedChange(ListenerOptions current, ListenerOptions next, EndPoint? bound = null)
    {
        if (!SameAddress(current.Address, next.Address))
        {
            return nameof(ListenerOptions.Address);
        }

        if (current.Port != next.Port && !(bound is IPEndPoint { Port: var boundPort } && boundPort == next.Port))
        {
            return nameof(ListenerOptions.Port);
        }

        return current.Protocols != next.Protocols ? nameof(ListenerOptions.Protocols)
            : current.UseTls != next.UseTls ? nameof(ListenerOptions.UseTls)
            : !ReferenceEquals(current.Certificate, next.Certificate) ? nameof(ListenerOptions.Certificate)
            : !string.Equals(current.CertificatePath, next.CertificatePath, StringComparison.Ordinal) ? nameof(ListenerOptions.CertificatePath)
            : !string.Equals(current.CertificatePassword, next.CertificatePassword, StringComparison.Ordinal) ? nameof(ListenerOptions.CertificatePassword)
            : !string.Equals(current.CertificateKeyPath, next.CertificateKeyPath, StringComparison.Ordinal) ? nameof(ListenerOptions.CertificateKeyPath)
            : !string.Equals(current.CertificateSubject, next.CertificateSubject, StringComparison.Ordinal) ? nameof(ListenerOptions.CertificateSubject)
            : current.CertificateStoreName != next.CertificateStoreName ? nameof(ListenerOptions.CertificateStoreName)
            : current.CertificateStoreLocation != next.CertificateStoreLocation ? nameof(ListenerOptions.CertificateStoreLocation)
            : current.ProxyProtocol != next.ProxyProtocol ? nameof(ListenerOptions.ProxyProtocol)
            : !SameList(current.TrustedProxies, next.TrustedProxies) ? nameof(ListenerOptions.TrustedProxies)
            : current.ProxyProtocolHeaderTimeout != next.ProxyProtocolHeaderTimeout ? nameof(ListenerOptions.ProxyProtocolHeaderTimeout)
            : !string.Equals(current.UnixSocketMode, next.UnixSocketMode, StringComparison.Ordinal) ? nameof(ListenerOptions.UnixSocketMode)
            : current.ReloadCertificates != next.ReloadCertificates ? nameof(ListenerOptions.ReloadCertificates)
            : current.CertificatePollInterval != next.CertificatePollInterval ? nameof(ListenerOptions.CertificatePollInterval)
            : !SameCertificates(current.SniCertificates, next.SniCertificates) ? nameof(ListenerOptions.SniCertificates)
            : current.ClientCertificateMode != next.ClientCertificateMode ? nameof(ListenerOptions.ClientCertificateMode)
            : !SameList(current.ClientCertificateAuthorityPaths, next.ClientCertificateAuthorityPaths) ? nameof(ListenerOptions.ClientCertificateAuthorityPaths)
            : !SameList(current.ClientCertificateThumbprints, next.ClientCertificateThumbprints) ? nameof(ListenerOptions.ClientCertificateThumbprints)
            : current.ClientCertificateRevocationMode != next.ClientCertificateRevocationMode ? nameof(ListenerOptions.ClientCertificateRevocationMode)
            : null;
    }

    // A missing list and an empty one mean the same (no entry).
    private static bool SameList(IList<string>? a, IList<string>? b) =>
        (a is null || a.Count == 0) ? (b is null || b.Count == 0) : b is not null && a.SequenceEqual(b, StringComparer.Ordinal);

    private static bool SameCertificates(IDictionary<string, ListenerCertificate>? a, IDictionary<string, ListenerCertificate>? b)
    {
        if (a is null || a.Count == 0)
        {
            return b is null || b.Count == 0;
        }

        return b is not null
            && a.Count == b.Count
            && a.All(e => b.TryGetValue(e.Key, out var other)
                && string.Equals(e.Value?.Path, other?.Path, StringComparison.Ordinal)
                && string.Equals(e.Value?.Password, other?.Password, StringComparison.Ordinal)
                && string.Equals(e.Value?.KeyPath, other?.KeyPath, StringComparison.Ordinal));
    }

    /// <summary>The live keys whose values differ, as <c>Key: old → new</c>; empty when none does.</summary>
    public static string Describe(ListenerOptions current, ListenerOptions next) => string.Join(
        ", ",
        LiveProperties
            .Select(p => (p.Name, Old: p.GetValue(current), New: p.GetValue(next)))
            .Where(c => !Equals(c.Old, c.New))
            .Select(c => $"{c.Name}: {Format(c.Old)} → {Format(c.New)}"));

    /// <summary>Whether any live key differs.</summary>
    public static bool LiveDiffers(ListenerOptions current, ListenerOptions next) =>
        LiveProperties.Any(p => !Equals(p.GetValue(current), p.GetValue(next)));

    private static bool SameAddress(string a, string b) =>
        string.Equals(a, b, StringComparison.Ordinal)
        || (ListenerAddress.TryParse(a, out var x, out _) && ListenerAddress.TryParse(b, out var y, out _) && x.Equals(y));

    private static string Format(object? value) => value switch
    {
        null => "null",
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? string.Empty,
    };
}
