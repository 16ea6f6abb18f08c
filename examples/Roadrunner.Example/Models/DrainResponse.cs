using Roadrunner.AspNetCore;

namespace Roadrunner.Example.Models;

/// <summary>Answer of a finished drain (a flattened <see cref="DrainResult"/>).</summary>
public sealed record DrainResponse(DrainOutcome Outcome, int Graceful, int Aborted, int Acknowledged, long ElapsedMs)
{
    public static DrainResponse From(DrainResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return new DrainResponse(
            result.Outcome,
            result.GracefulConnections,
            result.AbortedConnections,
            result.Acknowledgements,
            (long)result.Elapsed.TotalMilliseconds);
    }
}
