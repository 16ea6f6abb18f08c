using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Roadrunner.AspNetCore.Admin;

/// <summary>
/// RFC 9457 problem details of the admin API. Every error names what was wrong in <c>detail</c>; field errors also go to
/// <c>errors</c>, keyed by the JSON field name (camelCase), and the detail lists each as <c>field: message.</c>.
/// </summary>
internal static partial class AdminProblems
{
    /// <summary>A problem with a status and a detail.</summary>
    public static IResult Create(int statusCode, string detail) => TypedResults.Problem(detail: detail, statusCode: statusCode);

    /// <summary>404 for a listener name from the route.</summary>
    public static IResult NotFound(string name) => Create(StatusCodes.Status404NotFound, $"No listener named '{Printable(name)}'.");

    /// <summary>A 400 validation problem for one field.</summary>
    public static IResult Field(string field, string message) => Validation(new Dictionary<string, string[]>(StringComparer.Ordinal) { [field] = [message] });

    /// <summary>A 400 validation problem; the detail lists every field and message.</summary>
    public static IResult Validation(Dictionary<string, string[]> errors)
    {
        var detail = string.Join(" ", errors.Select(e => $"{e.Key}: {string.Join(" ", e.Value.Select(m => m.TrimEnd('.')))}."));
        return TypedResults.ValidationProblem(errors, detail: detail);
    }

    /// <summary>
    /// Malformed JSON, wrong JSON types, unknown or repeated fields: a 400 naming the field (from the exception's path) and
    /// saying what it accepts rather than which .NET type it could not be converted to.
    /// </summary>
    public static IResult FromJson(JsonException exception)
    {
        var field = FieldName(exception.Path);
        return Field(field, Describe(field, exception.Message));
    }

    /// <summary>
    /// Maps a library validation failure ("Roadrunner:Listeners:t1:Port: must be between 0 and 65535 (got 70000)...") to the
    /// JSON field it is about ("port").
    /// </summary>
    public static IResult FromOptionsValidation(OptionsValidationException exception)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var failure in exception.Failures)
        {
            var match = OptionsFailure().Match(failure);
            var field = match.Success ? AdminListenerMapping.FieldOfOption(match.Groups["key"].Value) : "listener";
            var message = match.Success ? match.Groups["message"].Value : failure;
            errors[field] = errors.TryGetValue(field, out var existing) ? [.. existing, message] : [message];
        }

        return Validation(errors);
    }

    /// <summary>Echoes user input safely: control characters escaped, length capped.</summary>
    public static string Printable(string value)
    {
        var shown = new StringBuilder();
        foreach (var c in value.Length > 80 ? value[..80] : value)
        {
            if (char.IsControl(c))
            {
                shown.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
            }
            else
            {
                shown.Append(c);
            }
        }

        return value.Length > 80 ? shown.Append('…').ToString() : shown.ToString();
    }

    private static string Describe(string field, string message)
    {
        // "The JSON value could not be converted to System.Nullable`1[...]. Path: $.port | ...": say what the field accepts.
        if (message.Contains("could not be converted", StringComparison.Ordinal)
            && (AdminListenerMapping.FieldHints.TryGetValue(field, out var hint) || field == "body"))
        {
            return hint ?? "must be a JSON object";
        }

        // AllowDuplicateProperties = false and UnmappedMemberHandling.Disallow name .NET types; say what is meant.
        if (message.StartsWith("Duplicate property", StringComparison.Ordinal))
        {
            return "appears more than once; give each field once";
        }

        if (message.Contains("could not be mapped to any .NET member", StringComparison.Ordinal))
        {
            return "is not a field of this request";
        }

        var path = message.IndexOf(" Path: ", StringComparison.Ordinal);
        return path > 0 ? message[..path] : message;
    }

    private static string FieldName(string? path)
    {
        if (string.IsNullOrEmpty(path) || path == "$")
        {
            return "body";
        }

        var key = path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path;
        if (key.StartsWith("['", StringComparison.Ordinal) || key.StartsWith("$['", StringComparison.Ordinal))
        {
            // Names that are not identifiers come as $['a b']: name them as sent.
            key = key.TrimStart('$').TrimStart('[', '\'').TrimEnd(']', '\'');
        }

        // Fields match case-insensitively, so "PORT" is the port field: name it as documented.
        return AdminListenerMapping.FieldHints.Keys.FirstOrDefault(k => k.Equals(key, StringComparison.OrdinalIgnoreCase))
            ?? (key.Length == 0 || char.IsLower(key[0]) ? key : char.ToLowerInvariant(key[0]) + key[1..]);
    }

    [GeneratedRegex(@"^Roadrunner:Listeners:[^:]*:(?<key>[A-Za-z]+(?::[^:\s]+)*): (?<message>.*)$", RegexOptions.CultureInvariant | RegexOptions.Singleline)]
    private static partial Regex OptionsFailure();
}
