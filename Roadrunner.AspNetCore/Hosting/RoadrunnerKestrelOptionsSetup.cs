using System.Net;
using System.Security.Authentication;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Roadrunner.AspNetCore.Diagnostics;
using Roadrunner.AspNetCore.Listeners;
using Roadrunner.AspNetCore.Transport;

namespace Roadrunner.AspNetCore.Hosting;

/// <summary>
/// Declares the three placeholder endpoints runtime listeners feed (plaintext HTTP/1.1, h2c, TLS with
/// ALPN), and re-binds the server URLs Kestrel would otherwise drop because endpoints exist in code.
/// </summary>
internal sealed class RoadrunnerKestrelOptionsSetup(
    RoadrunnerConnectionListenerFactory transport,
    IConfiguration configuration,
    IOptions<RoadrunnerOptions> options,
    RoadrunnerDiagnostics diagnostics) : IConfigureOptions<KestrelServerOptions>
{
    public void Configure(KestrelServerOptions kestrel)
    {
        kestrel.Listen(transport.GetEndPoint(TransportShape.Http1), listen =>
        {
            listen.Protocols = HttpProtocols.Http1;
            listen.Use(RoadrunnerConnectionMiddleware.Create);
        });

        kestrel.Listen(transport.GetEndPoint(TransportShape.Http2), listen =>
        {
            listen.Protocols = HttpProtocols.Http2;
            listen.Use(RoadrunnerConnectionMiddleware.Create);
        });

        kestrel.Listen(transport.GetEndPoint(TransportShape.Tls), listen =>
        {
            listen.Protocols = HttpProtocols.Http1AndHttp2;
            listen.Use(RoadrunnerConnectionMiddleware.Create);
            listen.UseHttps(new TlsHandshakeCallbackOptions
            {
                // The certificate and ALPN list are the listener's, not the endpoint's: the SNI name is empty
                // for IP literals, so the choice is keyed on the connection's listener.
                // Within the listener, the SNI name picks among its SniCertificates (else its default certificate), and
                // the connection holds the certificate generation it got until it closes (reloads cannot dispose it).
                OnConnection = static context =>
                    context.Connection.Features.Get<IRoadrunnerListenerFeature>() is RuntimeListener { Tls: { } tls }
                        ? ValueTask.FromResult(tls.ForHandshake(context.Connection, context.ClientHelloInfo.ServerName))
                        : throw new AuthenticationException("The connection has no Roadrunner TLS listener."),
            });
        });

        if (options.Value.BindServerUrls)
        {
            BindServerUrls(kestrel);
        }
    }

    private void BindServerUrls(KestrelServerOptions kestrel)
    {
        foreach (var (url, source) in ServerUrls())
        {
            BindServerUrl(kestrel, url, source);
        }
    }

    /// <summary>
    /// Binds one server URL the way Kestrel's AddressBinder would, through the same <see cref="BindingAddress"/>
    /// parsing. A form it would refuse is refused here too, and nothing unknown falls through to every interface.
    /// </summary>
    private void BindServerUrl(KestrelServerOptions kestrel, string url, string source)
    {
        BindingAddress address;
        try
        {
            address = BindingAddress.Parse(url);
        }
        catch (FormatException ex)
        {
            throw Unbindable(url, source, ex.Message.TrimEnd('.'), "Write it as scheme://host:port, e.g. http://127.0.0.1:8080, http://[::1]:8080, http://*:8080 or http://unix:/run/app.sock");
        }

        var https = string.Equals(address.Scheme, "https", StringComparison.OrdinalIgnoreCase);
        if (!https && !string.Equals(address.Scheme, "http", StringComparison.OrdinalIgnoreCase))
        {
            throw Unbindable(url, source, $"Kestrel serves only the schemes http and https, not '{address.Scheme}'", "Use http:// or https://");
        }

        if (!string.IsNullOrEmpty(address.PathBase))
        {
            throw Unbindable(url, source, $"a URL to bind cannot carry a path ('{address.PathBase}')", $"Remove the path from the URL and call app.UsePathBase(\"{address.PathBase}\") instead");
        }

        // As in Kestrel: the https scheme means the default certificate (Kestrel:Certificates:Default or the development one).
        Action<ListenOptions> configure = https ? static l => l.UseHttps() : static _ => { };
        var logger = diagnostics.HostingLogger;
        if (address.IsUnixPipe)
        {
            RoadrunnerLog.ServerUrlBound(logger, url);
            kestrel.ListenUnixSocket(address.UnixPipePath, configure);
            return;
        }

        if (address.IsNamedPipe)
        {
            if (!OperatingSystem.IsWindows())
            {
                throw Unbindable(url, source, "named pipes are served by Kestrel on Windows only", "Use a Unix socket (http://unix:/run/app.sock) or a TCP address here");
            }

            RoadrunnerLog.ServerUrlBound(logger, url);
            kestrel.ListenNamedPipe(address.NamedPipeName, configure);
            return;
        }

        if (address.Port is < IPEndPoint.MinPort or > IPEndPoint.MaxPort)
        {
            throw Unbindable(url, source, $"port {address.Port} is not between 0 and 65535", "Use a port from 1 to 65535, or 0 for a free one");
        }

        // Kestrel's parser leaves a port it cannot read in the host ("127.0.0.1:abc" is host "127.0.0.1:abc", port 80):
        // Kestrel then binds every interface on port 80, or for "[::1]:99999999999", which IPAddress reads as ::1, [::1]:80.
        if ((address.Host.StartsWith('[') && !address.Host.EndsWith(']'))
            || (address.Host is not ("*" or "+") && Uri.CheckHostName(address.Host) is UriHostNameType.Unknown or UriHostNameType.Basic))
        {
            throw Unbindable(url, source, $"'{address.Host}' is neither an IP address nor a host name (is the port a number?)", "Write it as scheme://host:port with a numeric port, e.g. http://127.0.0.1:8080 or http://*:8080");
        }

        if (IsLocalhost(address.Host))
        {
            if (address.Port == 0)
            {
                // Kestrel refuses this too: localhost is two sockets (IPv4 and IPv6), which would get different ports.
                throw Unbindable(url, source, "Kestrel cannot bind a dynamic port (0) on localhost", $"Use {address.Scheme}://127.0.0.1:0 or {address.Scheme}://[::1]:0, or a fixed port");
            }

            RoadrunnerLog.ServerUrlBound(logger, url);
            kestrel.ListenLocalhost(address.Port, configure);
            return;
        }

        // Kestrel takes whatever IPAddress.TryParse takes, brackets included ([::1]); the same here, for the same URLs.
        if (IPAddress.TryParse(address.Host, out var ip))
        {
            RoadrunnerLog.ServerUrlBound(logger, url);
            kestrel.Listen(ip, address.Port, configure);
            return;
        }

        // "*", "+" and host names mean every interface, as in Kestrel, which does not resolve names. A name is worth a
        // warning: whoever wrote it probably meant one interface.
        if (address.Host is not ("*" or "+"))
        {
            RoadrunnerLog.ServerUrlBindsAnyIP(logger, url, address.Host);
        }

        RoadrunnerLog.ServerUrlBound(logger, url);
        kestrel.ListenAnyIP(address.Port, configure);
    }

    // Kestrel also reads any name under the .localhost top-level domain as localhost.
    private static bool IsLocalhost(string host) =>
        string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
        || (host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase) && host.Length > ".localhost".Length);

    private static InvalidOperationException Unbindable(string url, string source, string reason, string fix) =>
        new($"Cannot bind server URL '{url}' from {source}: {reason}. {fix}. (Roadrunner binds the server URLs itself because " +
            "Kestrel ignores them once endpoints are declared in code; Roadrunner:BindServerUrls=false turns that off.)");

    /// <summary>The server URLs with where each came from, for messages.</summary>
    private IEnumerable<(string Url, string Source)> ServerUrls()
    {
        var urls = configuration["urls"];
        if (!string.IsNullOrWhiteSpace(urls))
        {
            return urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(url => (url, "the 'urls' setting (--urls, ASPNETCORE_URLS, UseUrls)"));
        }

        // As in Kestrel, http_ports/https_ports apply only when urls is not set.
        return Ports("http_ports", "http").Concat(Ports("https_ports", "https"));
    }

    private IEnumerable<(string Url, string Source)> Ports(string key, string scheme) =>
        (configuration[key] ?? string.Empty)
            .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(port => ($"{scheme}://*:{port}", $"the '{key}' setting (ASPNETCORE_{key.ToUpperInvariant()})"));
}
