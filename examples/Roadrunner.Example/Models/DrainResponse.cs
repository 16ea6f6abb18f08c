using Roadrunner.AspNetCore;

namespace Roadrunner.Example.Models;

/// <summary>
/// Answer of a finished drain: the admin API's own, shorter shape of a <see cref="DrainResult"/>. The listener's name is
/// in the URL already, so it is left out, and the counts have short names. (A <see cref="DrainResult"/> serializes as it
/// is too: <c>{"listenerName","outcome","gracefulConnections","abortedConnections","acknowledgements","elapsedMs"}</c>.)
/// </summary>
public sealed record DrainResponse(DrainOutcome Outcome, int Graceful, int Aborted, int Acknowledged, long ElapsedMs)
{
    public static DrainResponse From(DrainResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return new DrainResponse(result.Outcome, result.GracefulConnections, result.AbortedConnections, result.Acknowledgements, result.ElapsedMs);
    }
}
