using System.Text.Json;
using System.Text.Json.Serialization;

namespace Roadrunner.AspNetCore.Admin;

/// <summary>
/// Body of <c>PATCH {prefix}/listeners/{name}</c>, a JSON merge patch (RFC 7396): a field with a value sets it, a field
/// with <c>null</c> clears it back to the default (Kestrel's limit, no cap), an absent field keeps the running value. The
/// setters record which fields were present, since <c>null</c> and absent mean different things (plain setters, not
/// <c>init</c>: the source generator sets every <c>init</c> property, present or not). The fields of
/// <see cref="CreateListenerRequest"/> that cannot change on a running listener are read too (as any JSON), so that
/// sending one answers 409 naming it rather than 400 "not a field".
/// </summary>
internal sealed class UpdateListenerRequest
{
    private readonly HashSet<string> _present = new(StringComparer.Ordinal);

    /// <summary>Connection cap; null: none.</summary>
    public int? MaxConnections { get => field; set => Set(out field, value); }

    /// <summary>Close, Backlog or ServiceUnavailable; null: Close.</summary>
    [JsonConverter(typeof(ExactEnumConverter<MaxConnectionsBehavior>))]
    public MaxConnectionsBehavior? MaxConnectionsBehavior { get => field; set => Set(out field, value); }

    /// <summary>Largest request body in bytes; null: Kestrel's.</summary>
    public long? MaxRequestBodySize { get => field; set => Set(out field, value); }

    /// <summary>Request headers timeout in milliseconds; null: Kestrel's.</summary>
    public long? RequestHeadersTimeoutMs { get => field; set => Set(out field, value); }

    /// <summary>Keep-alive timeout in milliseconds; null: Kestrel's.</summary>
    public long? KeepAliveTimeoutMs { get => field; set => Set(out field, value); }

    /// <summary>Most requests per connection; null: no limit.</summary>
    public int? MaxRequestsPerConnection { get => field; set => Set(out field, value); }

    /// <summary>Slowest HTTP/1.1 request body; null: Kestrel's.</summary>
    public DataRateRequest? MinRequestBodyDataRate { get => field; set => Set(out field, value); }

    /// <summary>Most requests in flight; null: no limit.</summary>
    public int? MaxConcurrentRequests { get => field; set => Set(out field, value); }

    /// <summary>Per-client-IP token bucket; null: none.</summary>
    public RateLimitRequest? RateLimit { get => field; set => Set(out field, value); }

    /// <summary>Cannot change live (409).</summary>
    public JsonElement? Name { get => field; set => Set(out field, value); }

    /// <summary>Cannot change live (409).</summary>
    public JsonElement? Address { get => field; set => Set(out field, value); }

    /// <summary>Cannot change live (409).</summary>
    public JsonElement? Port { get => field; set => Set(out field, value); }

    /// <summary>Cannot change live (409).</summary>
    public JsonElement? Protocols { get => field; set => Set(out field, value); }

    /// <summary>Cannot change live (409); use <c>POST {prefix}/listeners/{name}/certificate</c>.</summary>
    public JsonElement? CertificatePath { get => field; set => Set(out field, value); }

    /// <summary>Cannot change live (409).</summary>
    public JsonElement? CertificatePassword { get => field; set => Set(out field, value); }

    /// <summary>Cannot change live (409).</summary>
    public JsonElement? CertificateKeyPath { get => field; set => Set(out field, value); }

    /// <summary>Cannot change live (409): read once per listener when its accept path is built.</summary>
    public JsonElement? ProxyProtocol { get => field; set => Set(out field, value); }

    /// <summary>Cannot change live (409): read once per listener when its accept path is built.</summary>
    public JsonElement? TrustedProxies { get => field; set => Set(out field, value); }

    /// <summary>Cannot change live (409): part of the TLS setup.</summary>
    public JsonElement? ClientCertificateMode { get => field; set => Set(out field, value); }

    /// <summary>The fields that cannot change on a running listener, by JSON name, in the order they are checked.</summary>
    public static IReadOnlyList<string> FixedFields { get; } =
        ["name", "address", "port", "protocols", "certificatePath", "certificatePassword", "certificateKeyPath", "proxyProtocol", "trustedProxies", "clientCertificateMode"];

    /// <summary>Whether the body had the field (JSON name), with a value or <c>null</c>.</summary>
    public bool Has(string field) => _present.Contains(field);

    private void Set<T>(out T target, T value, [System.Runtime.CompilerServices.CallerMemberName] string property = "")
    {
        target = value;
        _present.Add(char.ToLowerInvariant(property[0]) + property[1..]);
    }
}
