using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;

namespace Roadrunner.AspNetCore.Admin;

/// <summary>
/// The OpenAPI (ApiExplorer) metadata of the admin and dashboard endpoints: route shape, request body, responses and
/// problems. Separate from the handlers because it describes routes at mapping time and never runs per request.
/// </summary>
internal static class AdminOpenApiMetadata
{
    private static readonly string[] Json = ["application/json"];

    /// <summary>
    /// What OpenAPI (ApiExplorer) needs to list a <see cref="RequestDelegate"/> endpoint: a method whose parameters are the
    /// route's. The endpoints bind nothing through it; <paramref name="named"/> describes the <c>{name}</c> path parameter.
    /// </summary>
    public static TBuilder Described<TBuilder>(this TBuilder builder, bool named)
        where TBuilder : IEndpointConventionBuilder =>
        named
            ? builder.WithMetadata(AdminNameParameter.RouteMethod, AdminNameParameter.Instance)
            : builder.WithMetadata(((Action)PlainRoute).Method);

    /// <summary>The JSON body the endpoint reads itself (<see cref="AdminBody"/>), so that OpenAPI and routing know it.</summary>
    public static void Accepts<T>(IEndpointConventionBuilder builder, bool optional) =>
        builder.WithMetadata(new AdminJsonBodyMetadata(typeof(T), optional));

    /// <summary>A JSON success response of the given type.</summary>
    public static void Produces<T>(IEndpointConventionBuilder builder, int statusCode) =>
        builder.WithMetadata(new ProducesResponseTypeMetadata(statusCode, typeof(T), Json));

    /// <summary>RFC 9457 problem responses with the given statuses.</summary>
    public static void Problems(IEndpointConventionBuilder builder, params int[] statusCodes)
    {
        foreach (var statusCode in statusCodes)
        {
            builder.WithMetadata(new ProducesResponseTypeMetadata(statusCode, typeof(ProblemDetails), ["application/problem+json"]));
        }
    }

    /// <summary>A body can be invalid (400 with the field), too large (413) or not UTF-8 JSON (415).</summary>
    public static void BodyProblems(IEndpointConventionBuilder builder)
    {
        builder.WithMetadata(new ProducesResponseTypeMetadata(StatusCodes.Status400BadRequest, typeof(HttpValidationProblemDetails), ["application/problem+json"]));
        Problems(builder, StatusCodes.Status413PayloadTooLarge, StatusCodes.Status415UnsupportedMediaType);
    }

    private static void PlainRoute()
    {
    }
}
