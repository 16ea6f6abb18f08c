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
                OnConnection = static context =>
                    context.Connection.Features.Get<IRoadrunnerListenerFeature>() is RuntimeListener { TlsOptions: { } tls }
                        ? ValueTask.FromResult(tls)
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
        foreach (var url in ServerUrls())
        {
            RoadrunnerLog.ServerUrlBound(diagnostics.Logger, url);
            var address = BindingAddress.Parse(url);
            var https = string.Equals(address.Scheme, "https", StringComparison.OrdinalIgnoreCase);
            Action<ListenOptions> configure = https ? static l => l.UseHttps() : static _ => { };

            if (string.Equals(address.Host, "localhost", StringComparison.OrdinalIgnoreCase))
            {
                kestrel.ListenLocalhost(address.Port, configure);
            }
            else if (IPAddress.TryParse(address.Host.Trim('[', ']'), out var ip))
            {
                kestrel.Listen(ip, address.Port, configure);
            }
            else
            {
                // "*", "+" and host names mean every interface, as in Kestrel.
                kestrel.ListenAnyIP(address.Port, configure);
            }
        }
    }

    private IEnumerable<string> ServerUrls()
    {
        var urls = configuration["urls"];
        if (!string.IsNullOrWhiteSpace(urls))
        {
            return urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        }

        // As in Kestrel, http_ports/https_ports apply only when urls is not set.
        return Ports("http_ports", "http").Concat(Ports("https_ports", "https"));
    }

    private IEnumerable<string> Ports(string key, string scheme) =>
        (configuration[key] ?? string.Empty)
            .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(port => $"{scheme}://*:{port}");
}
