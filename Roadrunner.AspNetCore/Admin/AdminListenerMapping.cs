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

    /// <summary>What each field accepts: the message of a 400 for a value of the wrong JSON type. Keys are the JSON names.</summary>
    public static readonly IReadOnlyDictionary<string, string> FieldHints = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["body"] = "must be a JSON object",
        ["name"] = "must be a string of 1–64 characters from [A-Za-z0-9._-]",
        ["address"] = "must be a string with an IP address literal, e.g. \"127.0.0.1\"",
        ["port"] = "must be an integer between 0 and 65535",
        ["protocols"] = "must be one of \"Http1\", \"Http2\", \"Http1AndHttp2\"",
        ["maxConnections"] = "must be a positive integer, or null for no limit",
        ["certificatePath"] = "must be a string with the path of a PKCS#12 (.pfx) file",
        ["certificatePassword"] = "must be a string",
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

        options = new ListenerOptions
        {
            Address = request.Address ?? "127.0.0.1",
            Port = request.Port ?? 0,
            Protocols = request.Protocols ?? ListenerProtocols.Http1,
            MaxConnections = request.MaxConnections,
            UseTls = tls,
            CertificatePath = tls ? request.CertificatePath : null,
            CertificatePassword = tls ? request.CertificatePassword : null,
        };
        problem = null;
        return true;
    }

    /// <summary>Checks a drain or notify-drain time in milliseconds; <see langword="null"/> when it is in range.</summary>
    public static IResult? CheckMilliseconds(string field, long value) =>
        value is < 0 or > MaxDrainMs ? AdminProblems.Field(field, $"must be between 0 and {MaxDrainMs} (got {value})") : null;

    /// <summary>The JSON field a <see cref="ListenerOptions"/> key of a validation message is about ("Port" → "port").</summary>
    public static string FieldOfOption(string optionKey) => optionKey switch
    {
        // The request sets these through certificatePath only.
        nameof(ListenerOptions.UseTls) or nameof(ListenerOptions.Certificate) or nameof(ListenerOptions.CertificateKeyPath)
            or nameof(ListenerOptions.CertificateSubject) => "certificatePath",
        _ when optionKey.Length > 0 && char.IsUpper(optionKey[0]) => char.ToLowerInvariant(optionKey[0]) + optionKey[1..],
        _ => optionKey,
    };
}
