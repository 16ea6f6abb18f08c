using Roadrunner.AspNetCore;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Endpoint conventions for Roadrunner listeners.</summary>
public static class RoadrunnerEndpointConventionBuilderExtensions
{
    /// <summary>
    /// Makes the endpoint(s) match only on requests that arrived on one of the named listeners; on any other
    /// listener or ordinary endpoint they do not exist (404). Works on minimal APIs, route groups and controllers.
    /// </summary>
    /// <typeparam name="TBuilder">The builder type.</typeparam>
    /// <param name="builder">The endpoint convention builder.</param>
    /// <param name="listenerNames">One or more listener names.</param>
    /// <returns>The builder.</returns>
    public static TBuilder RequireListener<TBuilder>(this TBuilder builder, params string[] listenerNames)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        var metadata = new RequireListenerAttribute(listenerNames);
        builder.Add(endpoint => endpoint.Metadata.Add(metadata));
        return builder;
    }
}
