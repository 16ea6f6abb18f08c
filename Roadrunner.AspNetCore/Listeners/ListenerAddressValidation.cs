using System.Net;

namespace Roadrunner.AspNetCore.Listeners;

/// <summary>
/// The checks of where and how a listener listens: an IP address literal or a Unix domain socket path (with its file
/// mode), the port and the HTTP protocols. Called by <see cref="ListenerOptionsValidator"/>; split in two because the
/// PROXY protocol checks, which need to know whether the address is a Unix socket, come between them.
/// </summary>
internal static class ListenerAddressValidation
{
    /// <summary>The address (IP literal or <c>unix:/path</c>) and the Unix socket's mode; true when it is a Unix socket.</summary>
    public static bool ValidateAddress(string prefix, ListenerOptions options, List<string> failures)
    {
        var isUnix = UnixSocketAddress.TryGetPath(options.Address, out var unixPath);
        if (isUnix)
        {
            if (UnixSocketAddress.Problem(unixPath) is { } unixProblem)
            {
                failures.Add($"{prefix}Address: '{options.Address}' is not a usable Unix domain socket address: {unixProblem}.");
            }

            if (options.Port != 0)
            {
                failures.Add($"{prefix}Port: a Unix domain socket listener has no port (got {options.Port}); remove Port or set it to 0.");
            }
        }
        else if (!ListenerAddress.TryParse(options.Address, out _, out var addressProblem))
        {
            failures.Add($"{prefix}Address: '{options.Address}' is not an IP address literal{addressProblem}. {ListenerAddress.Examples} Or unix:/absolute/path.sock for a Unix domain socket.");
        }

        if (options.UnixSocketMode is { } mode)
        {
            if (!isUnix)
            {
                failures.Add($"{prefix}UnixSocketMode: applies only to a Unix domain socket listener (Address unix:/path); remove it or change the Address.");
            }
            else if (!UnixSocketAddress.TryParseMode(mode, out _))
            {
                failures.Add($"{prefix}UnixSocketMode: '{mode}' is not a file mode; write 1–4 octal digits without setuid/setgid/sticky bits, e.g. \"660\" (owner and group may connect) or \"600\".");
            }
        }

        return isUnix;
    }

    /// <summary>The port range and the protocols (and what they need of TLS).</summary>
    public static void ValidatePortAndProtocols(string prefix, ListenerOptions options, List<string> failures)
    {
        if (options.Port is < IPEndPoint.MinPort or > IPEndPoint.MaxPort)
        {
            failures.Add($"{prefix}Port: must be between 0 and 65535 (got {options.Port}); 0 picks a free port.");
        }

        if (!Enum.IsDefined(options.Protocols))
        {
            failures.Add($"{prefix}Protocols: '{options.Protocols}' is not one of Http1, Http2, Http1AndHttp2.");
        }
        else if (options.Protocols == ListenerProtocols.Http1AndHttp2 && !options.UseTls)
        {
            failures.Add($"{prefix}Protocols: Http1AndHttp2 needs TLS (UseTls: true with a certificate). Without TLS there is no ALPN to choose the protocol and Kestrel would serve HTTP/1.1 only; use Http1, or Http2 for h2c prior knowledge.");
        }
    }
}
