using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;

namespace Roadrunner.AspNetCore.Admin;

/// <summary>
/// Reads an admin request body: UTF-8 JSON (RFC 8259 §8.1) of at most <see cref="MaxBytes"/> bytes, strictly
/// (<see cref="AdminJsonContext.Strict"/>). The endpoints read it themselves instead of binding a parameter so that access
/// is checked before a byte of the body is read, and every way a body can be wrong is a 4xx problem, never a 500:
/// a <c>Content-Type</c> that does not parse, comes twice, is not JSON or names a charset other than UTF-8 is 415; a body
/// without one is 415 (unless the body is optional and empty); a larger body is 413.
/// </summary>
internal static class AdminBody
{
    /// <summary>The largest body taken: 64 KB.</summary>
    public const int MaxBytes = 64 * 1024;

    private static ReadOnlySpan<byte> Utf8Bom => [0xEF, 0xBB, 0xBF];

    /// <summary>Reads the body; <paramref name="optional"/> lets an empty body mean "all defaults" (<see langword="null"/>).</summary>
    public static async Task<(T? Value, IResult? Problem)> ReadAsync<T>(HttpContext context, bool optional)
        where T : class
    {
        var request = context.Request;
        var contentType = request.Headers.ContentType;
        var hasBody = request.ContentLength is { } length ? length > 0 : context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody ?? false;
        if (contentType.Count == 0)
        {
            return optional && !hasBody
                ? (null, null)
                : (null, AdminProblems.Create(StatusCodes.Status415UnsupportedMediaType, "The request has no Content-Type; send the body as application/json."));
        }

        if (Problem(contentType) is { } unsupported)
        {
            return (null, AdminProblems.Create(StatusCodes.Status415UnsupportedMediaType, unsupported));
        }

        if (request.ContentLength > MaxBytes)
        {
            return (null, TooLarge());
        }

        var buffer = ArrayPool<byte>.Shared.Rent(MaxBytes + 1);
        try
        {
            var read = 0;
            while (read <= MaxBytes)
            {
                var n = await request.Body.ReadAsync(buffer.AsMemory(read, MaxBytes + 1 - read), context.RequestAborted).ConfigureAwait(false);
                if (n == 0)
                {
                    break;
                }

                read += n;
            }

            if (read > MaxBytes)
            {
                return (null, TooLarge());
            }

            var json = buffer.AsSpan(0, read);
            if (json.StartsWith(Utf8Bom))
            {
                json = json[Utf8Bom.Length..];
            }

            if (json.IsEmpty)
            {
                return optional ? (null, null) : (null, AdminProblems.Field("body", "A non-empty request body is required"));
            }

            T? value;
            try
            {
                value = JsonSerializer.Deserialize(json, (JsonTypeInfo<T>)AdminJsonContext.Strict.GetTypeInfo(typeof(T)));
            }
            catch (JsonException ex)
            {
                return (null, AdminProblems.FromJson(ex));
            }

            // "null" is no body at all.
            return value is null && !optional ? (null, AdminProblems.Field("body", "must be a JSON object")) : (value, null);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>What is wrong with the Content-Type, or <see langword="null"/>.</summary>
    public static string? Problem(IReadOnlyList<string?> contentType)
    {
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

    private static IResult TooLarge() =>
        AdminProblems.Create(StatusCodes.Status413PayloadTooLarge, $"The request body is too large; the admin API accepts at most {MaxBytes} bytes.");

    /// <summary>Header values are echoed capped; Kestrel has already refused control characters in them.</summary>
    private static string Shown(string value) => value.Length > 80 ? value[..80] + "…" : value;
}
