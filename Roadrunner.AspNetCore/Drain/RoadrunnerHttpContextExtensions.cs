using Microsoft.Extensions.DependencyInjection;
using Roadrunner.AspNetCore;
using Roadrunner.AspNetCore.Drain;
using Roadrunner.AspNetCore.Listeners;

namespace Microsoft.AspNetCore.Http;

/// <summary>The per-request Roadrunner API: the listener, the drain signal, and acknowledging it.</summary>
public static class RoadrunnerHttpContextExtensions
{
    private static readonly NeverDrainingSignal Never = new();

    /// <summary>The name of the Roadrunner listener the request arrived on; <see langword="null"/> on an ordinary Kestrel endpoint.</summary>
    /// <param name="context">The request.</param>
    /// <returns>The listener name or <see langword="null"/>.</returns>
    public static string? GetListenerName(this HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Features.Get<IRoadrunnerListenerFeature>()?.ListenerName;
    }

    /// <summary>
    /// The request's drain signal: the one placed by <c>UseRoadrunnerDrain()</c>, else the current signal of its
    /// listener (or the host's). Without <c>AddRoadrunner</c> it never fires.
    /// </summary>
    /// <param name="context">The request.</param>
    /// <returns>The drain signal; shared, do not cache it across requests.</returns>
    public static IRoadrunnerDrainFeature GetDrainSignal(this HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Features.Get<IRoadrunnerDrainFeature>()
            ?? (context.Features.Get<IRoadrunnerListenerFeature>() as RuntimeListener)?.SignalForNewRequest()
            ?? (IRoadrunnerDrainFeature?)context.RequestServices?.GetService<ListenerManager>()?.HostSignal
            ?? Never;
    }

    /// <summary>
    /// A token that fires when this request's listener drains or soft-drains, or the host shuts down. Do not pass
    /// it to <c>WebSocket.ReceiveAsync</c> (see <c>DrainAwareWebSocket</c>).
    /// </summary>
    /// <param name="context">The request.</param>
    /// <returns>The drain token.</returns>
    public static CancellationToken GetDrainToken(this HttpContext context) => context.GetDrainSignal().DrainRequested;

    /// <summary>
    /// Tells subscribers that this request's handler saw the drain signal and is winding down: emits
    /// <see cref="RoadrunnerEvents.DrainAcknowledged"/> with the deadline of the drain in flight (or none) and
    /// counts toward the drain's result. Harmless when no drain is in flight.
    /// </summary>
    /// <param name="context">The request.</param>
    public static void AcknowledgeDrain(this HttpContext context) => Acknowledge(context, deadline: null);

    /// <summary>
    /// Like <see cref="AcknowledgeDrain(HttpContext)"/>, with the deadline the handler received, so subscribers can
    /// compute the grace that was left.
    /// </summary>
    /// <param name="context">The request.</param>
    /// <param name="deadline">The deadline from the drain signal.</param>
    public static void AcknowledgeDrain(this HttpContext context, DateTimeOffset deadline) => Acknowledge(context, deadline);

    private static void Acknowledge(HttpContext context, DateTimeOffset? deadline)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.GetDrainSignal() is DrainSignal signal)
        {
            signal.Acknowledge(context, deadline);
        }
    }

    private sealed class NeverDrainingSignal : IRoadrunnerDrainFeature
    {
        public string? ListenerName => null;

        public CancellationToken DrainRequested => CancellationToken.None;

        public bool IsDraining => false;

        public DateTimeOffset? Deadline => null;

        public TimeSpan? RemainingTime => null;
    }
}
