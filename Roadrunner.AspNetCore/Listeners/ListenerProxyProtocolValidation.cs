namespace Roadrunner.AspNetCore.Listeners;

/// <summary>
/// The checks of the PROXY protocol options: the mode, the trusted proxies (which a Unix socket peer cannot match) and
/// the header timeout. Called by <see cref="ListenerOptionsValidator"/>.
/// </summary>
internal static class ListenerProxyProtocolValidation
{
    public static void Validate(string prefix, ListenerOptions options, bool isUnix, List<string> failures)
    {
        if (!Enum.IsDefined(options.ProxyProtocol))
        {
            failures.Add($"{prefix}ProxyProtocol: '{options.ProxyProtocol}' is not one of Off, V1, V2, Any.");
            return;
        }

        var on = options.ProxyProtocol != ProxyProtocolMode.Off;
        if (options.TrustedProxies is { Count: > 0 } trusted)
        {
            if (!on)
            {
                failures.Add($"{prefix}TrustedProxies: applies only with ProxyProtocol V1, V2 or Any; set ProxyProtocol or remove TrustedProxies.");
            }
            else if (isUnix)
            {
                failures.Add($"{prefix}TrustedProxies: a Unix domain socket peer has no IP address; control who may connect with UnixSocketMode and remove TrustedProxies.");
            }

            for (var i = 0; i < trusted.Count; i++)
            {
                if (!Transport.ProxyProtocol.TrustedProxyList.TryParse(trusted[i], out _, out var problem))
                {
                    failures.Add($"{prefix}TrustedProxies:{i}: '{trusted[i]}' {problem}.");
                }
            }
        }

        if (options.ProxyProtocolHeaderTimeout is { } timeout)
        {
            if (!on)
            {
                failures.Add($"{prefix}ProxyProtocolHeaderTimeout: applies only with ProxyProtocol V1, V2 or Any; set ProxyProtocol or remove it.");
            }
            else if (timeout <= TimeSpan.Zero || timeout > TimeSpan.FromMinutes(5))
            {
                failures.Add($"{prefix}ProxyProtocolHeaderTimeout: must be more than 0 and at most 00:05:00 (got {timeout}); null means 5 seconds.");
            }
        }
    }
}
