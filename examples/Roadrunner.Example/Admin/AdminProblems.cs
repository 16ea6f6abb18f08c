using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Infrastructure;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Microsoft.Extensions.Options;

namespace Roadrunner.Example.Admin;

/// <summary>
/// RFC 9457 problem details for the admin API. Every error names what was wrong in <c>detail</c>; field errors
/// also go to <c>errors</c>, keyed by the JSON field name (camelCase).
/// </summary>
public static partial class AdminProblems
{
    public const string ContentType = "application/problem+json";

    private static readonly Dictionary<string, string> FieldHints = new(StringComparer.OrdinalIgnoreCase)
    {
        ["body"] = "must be a JSON object",
        ["name"] = "must be a string of 1–64 characters from [A-Za-z0-9._-]",
        ["address"] = "must be a string with an IP address literal, e.g. \"127.0.0.1\"",
        ["port"] = "must be an integer between 0 and 65535",
        ["protocols"] = "must be one of \"Http1\", \"Http2\", \"Http1AndHttp2\"",
        ["maxConnections"] = "must be a positive integer, or null for no limit",
        ["certificatePath"] = "must be a string with the path of a PKCS#12 (.pfx) file",
        ["certificatePassword"] = "must be a string",
        ["timeoutMs"] = "must be an integer between 0 and 600000 (milliseconds)",
        ["deadlineMs"] = "must be an integer between 0 and 600000 (milliseconds)",
    };

    /// <summary>A problem with a status and a detail.</summary>
    public static ObjectResult Create(HttpContext context, int statusCode, string detail)
    {
        ArgumentNullException.ThrowIfNull(context);
        var factory = context.RequestServices.GetRequiredService<ProblemDetailsFactory>();
        var problem = factory.CreateProblemDetails(context, statusCode, detail: detail);
        return new ObjectResult(problem) { StatusCode = statusCode, ContentTypes = { ContentType } };
    }

    /// <summary>A 400 validation problem for one field.</summary>
    public static ObjectResult Field(HttpContext context, string field, string message) =>
        Validation(context, new Dictionary<string, string[]> { [field] = [message] });

    /// <summary>A 400 validation problem; the detail lists every field and message.</summary>
    public static ObjectResult Validation(HttpContext context, IReadOnlyDictionary<string, string[]> errors, int statusCode = StatusCodes.Status400BadRequest)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(errors);
        var modelState = new ModelStateDictionary();
        foreach (var (field, messages) in errors)
        {
            foreach (var message in messages)
            {
                modelState.AddModelError(field, message);
            }
        }

        var detail = string.Join(" ", errors.Select(e => $"{e.Key}: {string.Join(" ", e.Value.Select(m => m.TrimEnd('.')))}."));
        var factory = context.RequestServices.GetRequiredService<ProblemDetailsFactory>();
        var problem = factory.CreateValidationProblemDetails(context, modelState, statusCode, detail: detail);
        return new ObjectResult(problem) { StatusCode = statusCode, ContentTypes = { ContentType } };
    }

    /// <summary>
    /// <c>ApiBehaviorOptions.InvalidModelStateResponseFactory</c>: malformed JSON, wrong JSON types, unknown fields
    /// and empty required bodies become a 400 whose detail names the field.
    /// </summary>
    public static IActionResult FromModelState(ActionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var (key, entry) in context.ModelState)
        {
            if (entry.Errors.Count == 0)
            {
                continue;
            }

            var field = FieldName(key);
            var messages = entry.Errors.Select(e => Describe(field, e)).Distinct().ToArray();
            errors[field] = errors.TryGetValue(field, out var existing) ? [.. existing, .. messages] : messages;
        }

        if (errors.Count == 0)
        {
            errors["body"] = ["is invalid"];
        }

        return Validation(context.HttpContext, errors);
    }

    /// <summary>
    /// Maps a library validation failure ("Roadrunner:Listeners:t1:Port: must be between 0 and 65535 (got 70000)...")
    /// to the JSON field it is about ("port").
    /// </summary>
    public static ObjectResult FromOptionsValidation(HttpContext context, OptionsValidationException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var failure in exception.Failures)
        {
            var match = OptionsFailure().Match(failure);
            var (field, message) = match.Success
                ? (ToCamelCase(match.Groups["key"].Value), match.Groups["message"].Value)
                : ("listener", failure);
            if (field is "useTls" or "certificate" or "certificateKeyPath" or "certificateSubject")
            {
                field = "certificatePath";
            }

            errors[field] = errors.TryGetValue(field, out var existing) ? [.. existing, message] : [message];
        }

        return Validation(context, errors);
    }

    private static string Describe(string field, ModelError error)
    {
        var message = !string.IsNullOrEmpty(error.ErrorMessage) ? error.ErrorMessage : error.Exception?.Message ?? "is invalid";

        // System.Text.Json says "The JSON value could not be converted to System.Nullable`1[...]. Path: $.port | ...":
        // say instead what the field accepts.
        if (FieldHints.TryGetValue(field, out var hint) && message.Contains("could not be converted", StringComparison.Ordinal))
        {
            return hint;
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

    private static string FieldName(string key)
    {
        if (string.IsNullOrEmpty(key) || key == "$" || key.Equals("request", StringComparison.OrdinalIgnoreCase))
        {
            return "body";
        }

        if (key.StartsWith("$.", StringComparison.Ordinal))
        {
            key = key[2..];
        }

        // Fields match case-insensitively, so "PORT" is the port field: name it as documented.
        return FieldHints.Keys.FirstOrDefault(k => k.Equals(key, StringComparison.OrdinalIgnoreCase)) ?? ToCamelCase(key);
    }

    private static string ToCamelCase(string key) =>
        key.Length == 0 || char.IsLower(key[0]) ? key : char.ToLowerInvariant(key[0]) + key[1..];

    [GeneratedRegex(@"^Roadrunner:Listeners:[^:]*:(?<key>[A-Za-z]+): (?<message>.*)$", RegexOptions.CultureInvariant | RegexOptions.Singleline)]
    private static partial Regex OptionsFailure();
}
