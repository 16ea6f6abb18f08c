using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Matching;

namespace Roadrunner.AspNetCore.Routing;

/// <summary>
/// Drops candidates whose <see cref="IListenerMetadata"/> does not name the request's listener, like
/// HostMatcherPolicy does for hosts, so a restricted endpoint is simply absent elsewhere.
/// </summary>
internal sealed class ListenerMatcherPolicy : MatcherPolicy, IEndpointSelectorPolicy
{
    // Right after HostMatcherPolicy (-100): the same kind of filter.
    public override int Order => -99;

    public bool AppliesToEndpoints(IReadOnlyList<Endpoint> endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        return endpoints.Any(e => e.Metadata.GetMetadata<IListenerMetadata>() is { ListenerNames.Count: > 0 });
    }

    public Task ApplyAsync(HttpContext httpContext, CandidateSet candidates)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        ArgumentNullException.ThrowIfNull(candidates);
        var listenerName = httpContext.Features.Get<IRoadrunnerListenerFeature>()?.ListenerName;
        for (var i = 0; i < candidates.Count; i++)
        {
            if (!candidates.IsValidCandidate(i)
                || candidates[i].Endpoint.Metadata.GetMetadata<IListenerMetadata>() is not { ListenerNames.Count: > 0 } metadata)
            {
                continue;
            }

            if (listenerName is null || !Contains(metadata.ListenerNames, listenerName))
            {
                candidates.SetValidity(i, false);
            }
        }

        return Task.CompletedTask;
    }

    private static bool Contains(IReadOnlyList<string> names, string name)
    {
        for (var i = 0; i < names.Count; i++)
        {
            if (string.Equals(names[i], name, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
