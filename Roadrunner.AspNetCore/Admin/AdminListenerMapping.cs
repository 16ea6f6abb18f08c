using Microsoft.AspNetCore.Http;
using Roadrunner.AspNetCore.Listeners;

namespace Roadrunner.AspNetCore.Admin;

/// <summary>
/// The one place where an admin request becomes <see cref="ListenerOptions"/>, and where each JSON field's rule is said.
/// To add a field: a property on <see cref="CreateListenerRequest"/>, a line in <see cref="FieldHints"/>, a line in
/// <see cref="TryMap"/>, and, when the library's validator names it by its option key, a case in <see cref="FieldOfOption"/>.
/// </summary>
internal static class AdminListenerMapping
{
    /// <summary>Default drain grace (milliseconds) when the body gives none.</summary>
    public const long DefaultDrainMs = 30_000;

    /// <summary>Longest drain grace (milliseconds) the API takes.</summary>
    public const long MaxDrainMs = 600_000;

    /// <summary>Longest timeout (milliseconds) a limit field takes: what fits a timer.</summary>
    public const long MaxTimeoutMs = int.MaxValue;

    /// <summary>What each field accepts: the message of a 400 for a value of the wrong JSON type. Keys are the JSON names.</summary>
    public static readonly IReadOnlyDictionary<string, string> FieldHints = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["body"] = "must be a JSON object",
        ["name"] = "must be a string of 1–64 characters from [A-Za-z0-9._-]",
        ["address"] = "must be a string with an IP address literal, e.g. \"127.0.0.1\", or unix:/absolute/path for a Unix domain socket",
        ["port"] = "must be an integer between 0 and 65535",
        ["protocols"] = "must be one of \"Http1\", \"Http2\", \"Http1AndHttp2\"",
        ["maxConnections"] = "must be a positive integer, or null for no limit",
        ["certificatePath"] = "must be a string with the path of a PKCS#12 (.pfx) file",
        ["certificatePassword"] = "must be a string",
        ["certificateKeyPath"] = "must be a string with the path of the PEM private key of a PEM certificatePath",
        ["maxConnectionsBehavior"] = "must be one of \"Close\", \"Backlog\", \"ServiceUnavailable\"",
        ["maxRequestBodySize"] = "must be an integer of 0 or more (bytes), or null for Kestrel's server-wide limit",
        ["requestHeadersTimeoutMs"] = $"must be an integer between 1000 and {MaxTimeoutMs} (milliseconds), or null for Kestrel's",
        ["keepAliveTimeoutMs"] = $"must be an integer between 1000 and {MaxTimeoutMs} (milliseconds), or null for Kestrel's",
        ["maxRequestsPerConnection"] = "must be a positive integer, or null for no limit",
        ["minRequestBodyDataRate"] = "must be an object {\"bytesPerSecond\":n,\"gracePeriodMs\":n}, or null for Kestrel's",
        ["minRequestBodyDataRate.bytesPerSecond"] = "must be a number greater than 0 (bytes per second)",
        ["minRequestBodyDataRate.gracePeriodMs"] = $"must be an integer between 1001 and {MaxTimeoutMs} (milliseconds)",
        ["maxConcurrentRequests"] = "must be a positive integer, or null for no limit",
        ["rateLimit"] = "must be an object {\"permitsPerSecond\":n,\"burst\":n}, or null for none",
        ["rateLimit.permitsPerSecond"] = "must be a positive integer",
        ["rateLimit.burst"] = "must be a positive integer",
        ["proxyProtocol"] = "must be one of \"Off\", \"V1\", \"V2\", \"Any\"",
        ["trustedProxies"] = "must be an array of strings with IP addresses or CIDR networks, e.g. [\"10.0.0.0/8\"]",
        ["clientCertificateMode"] = "must be one of \"NoCertificate\", \"AllowCertificate\", \"RequireCertificate\"",
        ["timeoutMs"] = $"must be an integer between 0 and {MaxDrainMs} (milliseconds)",
        ["deadlineMs"] = $"must be an integer between 0 and {MaxDrainMs} (milliseconds)",
    };

    /// <summary>
    /// Checks what the library's validator cannot know (the request's own rules) and builds the options; the library then
    /// validates them (its failures are mapped back to fields by <see cref="FieldOfOption"/>).
    /// </summary>
    public static bool TryMap(CreateListenerRequest request, out string name, out ListenerOptions options, out IResult? problem)
    {
        name = request.Name ?? string.Empty;
        options = new ListenerOptions();
        if (string.IsNullOrEmpty(request.Name))
        {
            problem = AdminProblems.Field("name", "is required");
            return false;
        }

        if (!ListenerOptionsValidator.IsValidName(request.Name))
        {
            problem = AdminProblems.Field("name", $"'{AdminProblems.Printable(request.Name)}' is not a valid listener name; use 1–64 characters from [A-Za-z0-9._-]");
            return false;
        }

        var tls = !string.IsNullOrWhiteSpace(request.CertificatePath);
        if (!tls && request.CertificatePassword is not null)
        {
            problem = AdminProblems.Field("certificatePassword", "is only used with certificatePath");
            return false;
        }

        if (!tls && request.Protocols == ListenerProtocols.Http1AndHttp2)
        {
            problem = AdminProblems.Field("protocols", "Http1AndHttp2 needs TLS (give certificatePath and certificatePassword); use Http1, or Http2 for h2c");
            return false;
        }

        if (!tls && request.CertificateKeyPath is not null)
        {
            problem = AdminProblems.Field("certificateKeyPath", "is only used with certificatePath (the PEM certificate)");
            return false;
        }

        options = new ListenerOptions
        {
            Address = request.Address ?? "127.0.0.1",
            Port = request.Port ?? 0,
            Protocols = request.Protocols ?? ListenerProtocols.Http1,
            MaxConnections = request.MaxConnections,
            MaxConnectionsBehavior = request.MaxConnectionsBehavior ?? MaxConnectionsBehavior.Close,
            UseTls = tls,
            CertificatePath = tls ? request.CertificatePath : null,
            CertificatePassword = tls ? request.CertificatePassword : null,
            CertificateKeyPath = tls ? request.CertificateKeyPath : null,
            MaxRequestBodySize = request.MaxRequestBodySize,
            MaxRequestsPerConnection = request.MaxRequestsPerConnection,
            MaxConcurrentRequests = request.MaxConcurrentRequests,
            ProxyProtocol = request.ProxyProtocol ?? ProxyProtocolMode.Off,
            TrustedProxies = request.TrustedProxies is { } trusted ? [.. trusted] : null,
            ClientCertificateMode = request.ClientCertificateMode ?? Microsoft.AspNetCore.Server.Kestrel.Https.ClientCertificateMode.NoCertificate,
        };

        // The library validates the values; these say what only the JSON shape can get wrong (a missing member, a null item).
        if (request.TrustedProxies is { } list && Array.FindIndex(list, p => p is null) is var nullAt and >= 0)
        {
            problem = AdminProblems.Field($"trustedProxies[{nullAt}]", "must be a string with an IP address or CIDR network, not null");
            return false;
        }

        return TryTimeout("requestHeadersTimeoutMs", request.RequestHeadersTimeoutMs, out var headers, out problem)
            && TryTimeout("keepAliveTimeoutMs", request.KeepAliveTimeoutMs, out var keepAlive, out problem)
            && TryDataRate(request.MinRequestBodyDataRate, out var rate, out problem)
            && TryRateLimit(request.RateLimit, out var limit, out problem)
            && Assign(options, headers, keepAlive, rate, limit);
    }

    /// <summary>
    /// Applies a merge patch to a copy of the running listener's options: fields present with a value set them, present
    /// with <c>null</c> clear them, absent ones stay. A field that cannot change live is a 409 naming it.
    /// </summary>
    public static bool TryPatch(UpdateListenerRequest request, ListenerOptions options, out IResult? problem)
    {
        foreach (var field in UpdateListenerRequest.FixedFields)
        {
            if (request.Has(field))
            {
                problem = CannotChange(field);
                return false;
            }
        }

        var headers = options.RequestHeadersTimeout;
        var keepAlive = options.KeepAliveTimeout;
        var rate = options.MinRequestBodyDataRate;
        var limit = options.RateLimit;
        if ((request.Has("requestHeadersTimeoutMs") && !TryTimeout("requestHeadersTimeoutMs", request.RequestHeadersTimeoutMs, out headers, out problem))
            || (request.Has("keepAliveTimeoutMs") && !TryTimeout("keepAliveTimeoutMs", request.KeepAliveTimeoutMs, out keepAlive, out problem))
            || (request.Has("minRequestBodyDataRate") && !TryDataRate(request.MinRequestBodyDataRate, out rate, out problem))
            || (request.Has("rateLimit") && !TryRateLimit(request.RateLimit, out limit, out problem)))
        {
            return false;
        }

        if (request.Has("maxConnections"))
        {
            options.MaxConnections = request.MaxConnections;
        }

        if (request.Has("maxConnectionsBehavior"))
        {
            options.MaxConnectionsBehavior = request.MaxConnectionsBehavior ?? MaxConnectionsBehavior.Close;
        }

        if (request.Has("maxRequestBodySize"))
        {
            options.MaxRequestBodySize = request.MaxRequestBodySize;
        }

        if (request.Has("maxRequestsPerConnection"))
        {
            options.MaxRequestsPerConnection = request.MaxRequestsPerConnection;
        }

        if (request.Has("maxConcurrentRequests"))
        {
            options.MaxConcurrentRequests = request.MaxConcurrentRequests;
        }

        problem = null;
        return Assign(options, headers, keepAlive, rate, limit);
    }

    /// <summary>409 for a field a running listener cannot change, saying what to do instead.</summary>
    public static IResult CannotChange(string field)
    {
        var instead = field is "certificatePath" or "certificatePassword" or "certificateKeyPath"
            ? "replace the certificate with POST .../certificate, or delete the listener and create it again"
            : "delete the listener and create it again with the new value (or drain it and start a new one)";
        return AdminProblems.Create(StatusCodes.Status409Conflict, $"{field}: cannot change on a running listener: {instead}. The listener was left unchanged.");
    }

    private static bool Assign(ListenerOptions options, TimeSpan? headers, TimeSpan? keepAlive, ListenerDataRate? rate, ListenerRateLimit? limit)
    {
        options.RequestHeadersTimeout = headers;
        options.KeepAliveTimeout = keepAlive;
        options.MinRequestBodyDataRate = rate;
        options.RateLimit = limit;
        return true;
    }

    private static bool TryTimeout(string field, long? ms, out TimeSpan? timeout, out IResult? problem)
    {
        timeout = null;
        problem = null;
        if (ms is not { } value)
        {
            return true;
        }

        // The library checks the lower bound (1 s); out of TimeSpan's or a timer's range is this API's to refuse.
        if (value is < 0 or > MaxTimeoutMs)
        {
            problem = AdminProblems.Field(field, $"must be between 1000 and {MaxTimeoutMs} milliseconds, or null for Kestrel's (got {value})");
            return false;
        }

        timeout = TimeSpan.FromMilliseconds(value);
        return true;
    }

    private static bool TryDataRate(DataRateRequest? request, out ListenerDataRate? rate, out IResult? problem)
    {
        rate = null;
        problem = request switch
        {
            null => null,
            { BytesPerSecond: null } => AdminProblems.Field("minRequestBodyDataRate.bytesPerSecond", "is required"),
            { GracePeriodMs: null } => AdminProblems.Field("minRequestBodyDataRate.gracePeriodMs", "is required"),
            { GracePeriodMs: < 0 or > MaxTimeoutMs } => AdminProblems.Field("minRequestBodyDataRate.gracePeriodMs", $"must be between 1001 and {MaxTimeoutMs} milliseconds (got {request.GracePeriodMs})"),
            _ => null,
        };
        if (problem is null && request is not null)
        {
            rate = new ListenerDataRate { BytesPerSecond = request.BytesPerSecond!.Value, GracePeriod = TimeSpan.FromMilliseconds(request.GracePeriodMs!.Value) };
        }

        return problem is null;
    }

    private static bool TryRateLimit(RateLimitRequest? request, out ListenerRateLimit? limit, out IResult? problem)
    {
        limit = null;
        problem = request switch
        {
            null => null,
            { PermitsPerSecond: null } => AdminProblems.Field("rateLimit.permitsPerSecond", "is required"),
            { Burst: null } => AdminProblems.Field("rateLimit.burst", "is required"),
            _ => null,
        };
        if (problem is null && request is not null)
        {
            limit = new ListenerRateLimit { PermitsPerSecond = request.PermitsPerSecond!.Value, Burst = request.Burst!.Value };
        }

        return problem is null;
    }

    /// <summary>Checks a drain or notify-drain time in milliseconds; <see langword="null"/> when it is in range.</summary>
    public static IResult? CheckMilliseconds(string field, long value) =>
        value is < 0 or > MaxDrainMs ? AdminProblems.Field(field, $"must be between 0 and {MaxDrainMs} (got {value})") : null;

    /// <summary>The JSON field a <see cref="ListenerOptions"/> key of a validation message is about ("Port" → "port").</summary>
    /// <remarks>
    /// Nested keys become JSON paths: <c>RateLimit:Burst</c> → <c>rateLimit.burst</c>, <c>TrustedProxies:0</c> →
    /// <c>trustedProxies[0]</c>; time options the request gives in milliseconds get the field's <c>Ms</c> name.
    /// </remarks>
    public static string FieldOfOption(string optionKey) => optionKey switch
    {
        // The request sets these through certificatePath only.
        nameof(ListenerOptions.UseTls) or nameof(ListenerOptions.Certificate) or nameof(ListenerOptions.CertificateSubject) => "certificatePath",
        nameof(ListenerOptions.RequestHeadersTimeout) => "requestHeadersTimeoutMs",
        nameof(ListenerOptions.KeepAliveTimeout) => "keepAliveTimeoutMs",
        "MinRequestBodyDataRate:GracePeriod" => "minRequestBodyDataRate.gracePeriodMs",
        _ when optionKey.Contains(':', StringComparison.Ordinal) => NestedField(optionKey),
        _ when optionKey.Length > 0 && char.IsUpper(optionKey[0]) => char.ToLowerInvariant(optionKey[0]) + optionKey[1..],
        _ => optionKey,
    };

    private static string NestedField(string optionKey)
    {
        var parts = optionKey.Split(':');
        var field = FieldOfOption(parts[0]);
        foreach (var part in parts.Skip(1))
        {
            field += part.All(char.IsAsciiDigit) ? $"[{part}]" : $".{FieldOfOption(part)}";
        }

        return field;
    }
}
