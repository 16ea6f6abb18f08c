using Roadrunner.AspNetCore.Diagnostics;
using Roadrunner.AspNetCore.Drain;
using Roadrunner.AspNetCore.Listeners;

namespace Roadrunner.AspNetCore.Hosting;

/// <summary>
/// Where host shutdown is (<see cref="ShutdownPhase"/>), the host-wide drain signal of ordinary Kestrel endpoints,
/// and whether the host's shutdown timeout has run out.
/// </summary>
internal sealed class HostShutdownState(RoadrunnerDiagnostics diagnostics, TimeProvider timeProvider)
{
    private int _phase;
    private int _forced;
    private long _delayEndsUtcTicks;

    /// <summary>The host-shutdown signal, for requests on ordinary Kestrel endpoints.</summary>
    public DrainSignal Signal { get; } = new(listener: null, diagnostics, timeProvider);

    public ShutdownPhase Phase => (ShutdownPhase)Volatile.Read(ref _phase);

    /// <summary>Host shutdown has begun (the shutdown delay or the drain).</summary>
    public bool IsShuttingDown => Phase != ShutdownPhase.Running;

    /// <summary>When the shutdown delay ends and the drain begins; <see langword="null"/> outside the delay.</summary>
    public DateTimeOffset? DelayEndsAt =>
        Phase == ShutdownPhase.Delaying ? new DateTimeOffset(Interlocked.Read(ref _delayEndsUtcTicks), TimeSpan.Zero) : null;

    /// <summary>Set once the host's shutdown timeout has run out: Kestrel is cutting what is left.</summary>
    public bool IsForced => Volatile.Read(ref _forced) == 1;

    public void BeginDelay(TimeSpan delay)
    {
        Interlocked.Exchange(ref _delayEndsUtcTicks, (timeProvider.GetUtcNow() + delay).UtcTicks);
        Interlocked.CompareExchange(ref _phase, (int)ShutdownPhase.Delaying, (int)ShutdownPhase.Running);
    }

    /// <summary>The drain begins: ordinary endpoints are told the deadline.</summary>
    public void BeginDrain(DateTimeOffset? deadline)
    {
        Volatile.Write(ref _phase, (int)ShutdownPhase.Draining);
        Signal.Fire(deadline);
    }

    public void OnForced() => Volatile.Write(ref _forced, 1);
}
