using System.Net;
using System.Net.Sockets;

namespace Roadrunner.AspNetCore.Transport.ProxyProtocol;

/// <summary>The parsed <see cref="ListenerOptions.TrustedProxies"/>: addresses and CIDR networks a header is accepted from.</summary>
internal sealed class TrustedProxyList
{
    private readonly IPNetwork[] _networks;

    private TrustedProxyList(IPNetwork[] networks) => _networks = networks;

    /// <summary>The list, or <see langword="null"/> when every peer is trusted (none configured).</summary>
    /// <exception cref="FormatException">An entry does not parse; the validator reports those first.</exception>
    public static TrustedProxyList? Create(IList<string>? entries)
    {
        if (entries is null || entries.Count == 0)
        {
            return null;
        }

        var networks = new IPNetwork[entries.Count];
        for (var i = 0; i < entries.Count; i++)
        {
            networks[i] = TryParse(entries[i], out var network, out var problem)
                ? network
                : throw new FormatException($"'{entries[i]}' {problem}");
        }

        return new TrustedProxyList(networks);
    }

    /// <summary>Parses one entry: an address (a network of one) or a CIDR network with no host bits set.</summary>
    public static bool TryParse(string? entry, out IPNetwork network, out string problem)
    {
        network = default;
        problem = string.Empty;
        if (string.IsNullOrWhiteSpace(entry))
        {
            problem = "is empty";
            return false;
        }

        var text = entry.Trim();
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        var addressText = slash < 0 ? text : text[..slash];
        if (!Listeners.ListenerAddress.TryParse(addressText, out var address, out var addressProblem) || addressText.StartsWith('['))
        {
            problem = $"is not an IP address or CIDR network{addressProblem} (write 10.0.0.5, 10.0.0.0/8 or fd00::/8)";
            return false;
        }

        if (slash < 0)
        {
            network = new IPNetwork(address, address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128);
            return true;
        }

        // IPNetwork quietly clears host bits (10.0.0.1/8 becomes 10.0.0.0/8): a typo there would trust a whole network.
        if (!IPNetwork.TryParse(text, out network) || !network.BaseAddress.Equals(address))
        {
            var max = address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
            problem = $"is not a CIDR network: the prefix length must be 0–{max} and the address must have no bits set after it (10.0.0.0/8, not 10.0.0.1/8)";
            return false;
        }

        return true;
    }

    /// <summary>Whether a peer may send a header. Non-IP peers (a Unix domain socket) are governed by the socket file's mode.</summary>
    public bool Contains(EndPoint? peer)
    {
        if (peer is not IPEndPoint { Address: var address })
        {
            return true;
        }

        // A dual-mode [::] socket shows IPv4 peers as ::ffff:a.b.c.d.
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        foreach (var network in _networks)
        {
            if (network.Contains(address))
            {
                return true;
            }
        }

        return false;
    }
}
