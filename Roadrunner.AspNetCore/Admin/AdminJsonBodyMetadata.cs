using Microsoft.AspNetCore.Http.Metadata;

namespace Roadrunner.AspNetCore.Admin;

/// <summary>
/// The body an endpoint reads itself (so OpenAPI knows it): UTF-8 JSON of the given type. Routing also reads this
/// (AcceptsMatcherPolicy answers 415 for other media types), so it lists every JSON media type AdminBody takes.
/// </summary>
internal sealed class AdminJsonBodyMetadata(Type type, bool optional) : IAcceptsMetadata
{
    private static readonly string[] JsonMediaTypes = ["application/json", "text/json", "application/*+json"];

    public IReadOnlyList<string> ContentTypes => JsonMediaTypes;

    public Type? RequestType => type;

    public bool IsOptional => optional;
}
