namespace Roadrunner.AspNetCore;

/// <summary>What a drain did, returned by <see cref="IListenerManager.DrainAsync"/>.</summary>
/// <param name="ListenerName">The drained listener.</param>
/// <param name="Outcome"><see cref="DrainOutcome.Drained"/> or <see cref="DrainOutcome.TimedOut"/>.</param>
/// <param name="GracefulConnections">Connections open when the drain began that closed before the deadline.</param>
/// <param name="AbortedConnections">Connections still open at the deadline, which were aborted.</param>
/// <param name="Acknowledgements">Calls to <c>AcknowledgeDrain</c> on this listener's requests during the drain.</param>
/// <param name="Elapsed">Time from the drain call to its end.</param>
public sealed record DrainResult(
    string ListenerName,
    DrainOutcome Outcome,
    int GracefulConnections,
    int AbortedConnections,
    int Acknowledgements,
    TimeSpan Elapsed);
