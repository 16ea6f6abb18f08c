using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Microsoft.Net.Http.Headers;

namespace Roadrunner.Example.Admin;

/// <summary>
/// Admin bodies are UTF-8 JSON (RFC 8259 §8.1). Before model binding reads a body, a <c>Content-Type</c> that does not
/// parse, comes twice, is not JSON (<c>application/json</c>, <c>text/json</c>, <c>application/*+json</c>) or names a
/// charset other than <c>utf-8</c> is answered 415. Left to MVC, UTF-16 was decoded (a 500 on an odd byte count),
/// <c>charset=</c> threw in its media-type parser, and a form body reached the form value providers, which throw on a
/// key such as <c>a[b</c>: all 500s. A body without a <c>Content-Type</c> is MVC's 415.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method)]
public sealed class Utf8JsonBodyAttribute : Attribute, IResourceFilter
{
    public void OnResourceExecuting(ResourceExecutingContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var headers = context.HttpContext.Request.Headers;
        if (headers.ContentType.Count == 0 || !context.ActionDescriptor.Parameters.Any(p => p.BindingInfo?.BindingSource == BindingSource.Body))
        {
            return;
        }

        if (Problem(headers.ContentType) is { } problem)
        {
            context.Result = AdminProblems.Create(context.HttpContext, StatusCodes.Status415UnsupportedMediaType, problem);
        }
    }

    public void OnResourceExecuted(ResourceExecutedContext context)
    {
    }

    /// <summary>What is wrong with the Content-Type, or <see langword="null"/>.</summary>
    public static string? Problem(IReadOnlyList<string?> contentType)
    {
        ArgumentNullException.ThrowIfNull(contentType);
        if (contentType.Count != 1)
        {
            return "Send one Content-Type header: application/json.";
        }

        var value = contentType[0] ?? string.Empty;
        if (!MediaTypeHeaderValue.TryParse(value, out var mediaType))
        {
            return $"Content-Type '{Shown(value)}' is not a media type; send application/json.";
        }

        var type = mediaType.MediaType;
        var json = type.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || type.Equals("text/json", StringComparison.OrdinalIgnoreCase)
            || (mediaType.Type.Equals("application", StringComparison.OrdinalIgnoreCase) && mediaType.Suffix.Equals("json", StringComparison.OrdinalIgnoreCase) && !mediaType.MatchesAllSubTypesWithoutSuffix);
        if (!json)
        {
            return $"Content-Type '{Shown(value)}' is not supported; send application/json.";
        }

        var charsets = mediaType.Parameters.Where(p => p.Name.Equals("charset", StringComparison.OrdinalIgnoreCase)).ToList();
        return charsets.Count switch
        {
            0 => null,
            1 when HeaderUtilities.RemoveQuotes(charsets[0].Value).Equals("utf-8", StringComparison.OrdinalIgnoreCase) => null,
            1 => $"Charset '{Shown(HeaderUtilities.RemoveQuotes(charsets[0].Value).ToString())}' is not supported: the admin API reads UTF-8 JSON only; send application/json (or charset=utf-8).",
            _ => "Content-Type names more than one charset; send application/json.",
        };
    }

    /// <summary>Header values are echoed capped; Kestrel has already refused control characters in them.</summary>
    private static string Shown(string value) => value.Length > 80 ? value[..80] + "…" : value;
}
