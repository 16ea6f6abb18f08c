using System.Reflection;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;

namespace Roadrunner.AspNetCore.Admin;

/// <summary>
/// The <c>{name}</c> route parameter: how a handler reads it, and how OpenAPI's parameter discovery sees it
/// (RequestDelegateFactory's shape). One type, so that the value handlers act on and the parameter the document
/// describes cannot drift apart.
/// </summary>
internal sealed class AdminNameParameter : IParameterBindingMetadata
{
    public static readonly AdminNameParameter Instance = new();

    /// <summary>The method whose parameter ApiExplorer lists for a named route (see <see cref="AdminOpenApiMetadata.Described"/>).</summary>
    public static MethodInfo RouteMethod => ((Action<string>)NamedRoute).Method;

    public string Name => "name";

    public bool HasTryParse => false;

    public bool HasBindAsync => false;

    public ParameterInfo ParameterInfo { get; } = ((Action<string>)NamedRoute).Method.GetParameters()[0];

    public bool IsOptional => false;

    /// <summary>The listener name of the route, empty when the route has none.</summary>
    public static string Of(HttpContext context) => context.Request.RouteValues["name"] as string ?? string.Empty;

    private static void NamedRoute([FromRoute] string name)
    {
    }
}
