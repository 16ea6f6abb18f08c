namespace Roadrunner.AspNetCore.Admin;

/// <summary>
/// Answer of a finished drain: the admin API's shorter shape of a <see cref="DrainResult"/> (the listener's name is in the URL).
/// </summary>
/// <param name="Outcome">Drained or TimedOut.</param>
/// <param name="Graceful">Connections that closed before the deadline.</param>
/// <param name="Aborted">Connections aborted at the deadline.</param>
/// <param name="Acknowledged">Acknowledgements of the drain signal.</param>
/// <param name="ElapsedMs">Duration of the drain in milliseconds.</param>
internal sealed record DrainResponse(DrainOutcome Outcome, int Graceful, int Aborted, int Acknowledged, long ElapsedMs)
{
    public static DrainResponse From(DrainResult result) =>
        new(result.Outcome, result.GracefulConnections, result.AbortedConnections, result.Acknowledgements, result.ElapsedMs);
}
