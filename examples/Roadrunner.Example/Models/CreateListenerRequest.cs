using Roadrunner.AspNetCore;

namespace Roadrunner.Example.Models;

/// <summary>
/// Body of <c>POST /admin/listeners</c>. Only <see cref="Name"/> is required; a <see cref="CertificatePath"/>
/// (PKCS#12 file readable by the app) makes it a TLS listener.
/// </summary>
public sealed class CreateListenerRequest
{
    public string? Name { get; init; }

    /// <summary>IP address literal; defaults to 127.0.0.1.</summary>
    public string? Address { get; init; }

    /// <summary>0–65535; defaults to 0 (a free port chosen by the OS).</summary>
    public int? Port { get; init; }

    /// <summary>Http1 (default), Http2, or Http1AndHttp2 (TLS only).</summary>
    public ListenerProtocols? Protocols { get; init; }

    /// <summary>Connection cap; omitted or null means none.</summary>
    public int? MaxConnections { get; init; }

    public string? CertificatePath { get; init; }

    public string? CertificatePassword { get; init; }
}
