namespace Roadrunner.Example.Models;

/// <summary>Optional body of <c>POST /tenants/{id}</c>: overrides the tenant's configuration.</summary>
public sealed class TenantSettings
{
    public string? Address { get; init; }

    public int? Port { get; init; }

    public int? MaxConnections { get; init; }

    public string? CertificatePath { get; init; }

    public string? CertificatePassword { get; init; }
}
