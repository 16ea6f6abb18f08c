using System.Runtime.InteropServices;

namespace Roadrunner.AspNetCore.Listeners;

/// <summary>
/// A counter that every request of a listener changes with an interlocked operation, alone on its cache lines: as a
/// plain field it would share a line with the references every request reads (the listener's options, its limits),
/// and each increment on one core would evict that line from the others (false sharing). 128 bytes either side, as
/// the runtime pads its own hot counters (the cache-line pair prefetched together on x64, the line size on Arm64).
/// Held as a mutable field, never copied.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 2 * Padding)]
internal struct PaddedCounter
{
    private const int Padding = 128;

    [FieldOffset(Padding)]
    private long _value;

    public readonly long Value => Volatile.Read(in _value);

    public long Increment() => Interlocked.Increment(ref _value);

    public long Decrement() => Interlocked.Decrement(ref _value);
}
