using System.Text.Json.Serialization;

namespace Roadrunner.AspNetCore.Admin;

/// <summary>
/// Body of <c>POST {prefix}/listeners</c>. Only <see cref="Name"/> is required; a <see cref="CertificatePath"/> (PKCS#12 file
/// readable by the app) makes it a TLS listener. To add a field: a property here, its hint and its mapping in
/// <see cref="AdminListenerMapping"/> (the one place that turns this into <see cref="ListenerOptions"/>).
/// </summary>
internal sealed class CreateListenerRequest
{
    /// <summary>The listener's name: 1–64 characters from [A-Za-z0-9._-].</summary>
    public string? Name { get; init; }

    /// <summary>IP address literal; defaults to 127.0.0.1.</summary>
    public string? Address { get; init; }

    /// <summary>0–65535; defaults to 0 (a free port chosen by the OS).</summary>
    public int? Port { get; init; }

    /// <summary>Http1 (default), Http2, or Http1AndHttp2 (TLS only).</summary>
    [JsonConverter(typeof(ExactListenerProtocolsConverter))]
    public ListenerProtocols? Protocols { get; init; }

    /// <summary>Connection cap; omitted or null means none.</summary>
    public int? MaxConnections { get; init; }

    /// <summary>Path of a PKCS#12 (.pfx) file; makes the listener serve HTTPS.</summary>
    public string? CertificatePath { get; init; }

    /// <summary>Password of <see cref="CertificatePath"/>.</summary>
    public string? CertificatePassword { get; init; }
}
