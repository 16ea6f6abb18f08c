using System.IO.Pipelines;

namespace Roadrunner.AspNetCore.Limits;

/// <summary>
/// The connection's transport input, seen through: each read that brought something tells the
/// <see cref="ConnectionLimits"/>, which is how the header and idle timeouts know a request has begun arriving. Used only
/// on connections of listeners with <see cref="ListenerOptions.RequestHeadersTimeout"/> or
/// <see cref="ListenerOptions.KeepAliveTimeout"/>. A completed read is seen at the <c>AdvanceTo</c> that every reader
/// makes before its next read (microseconds after the bytes came), so <see cref="ReadAsync"/> hands back the transport's
/// own <see cref="ValueTask{TResult}"/> instead of awaiting it: no state machine and no extra continuation per read. The
/// reads this also counts (the peer's FIN, a read cancelled by a close) end the connection anyway.
/// </summary>
internal sealed class ActivityPipeReader(PipeReader inner, ConnectionLimits limits) : PipeReader
{
    public override void AdvanceTo(SequencePosition consumed)
    {
        inner.AdvanceTo(consumed);
        limits.OnBytesReceived();
    }

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        inner.AdvanceTo(consumed, examined);
        limits.OnBytesReceived();
    }

    public override void CancelPendingRead() => inner.CancelPendingRead();

    public override void Complete(Exception? exception = null) => inner.Complete(exception);

    public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);

    public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default) => inner.ReadAsync(cancellationToken);

    public override bool TryRead(out ReadResult result) => inner.TryRead(out result);
}
