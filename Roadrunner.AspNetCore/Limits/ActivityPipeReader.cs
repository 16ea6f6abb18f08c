using System.IO.Pipelines;
using System.Runtime.CompilerServices;

namespace Roadrunner.AspNetCore.Limits;

/// <summary>
/// The connection's transport input, seen through: each read that brings bytes tells the <see cref="ConnectionLimits"/>,
/// which is how the header and idle timeouts know a request has begun arriving. Used only on connections of listeners
/// with <see cref="ListenerOptions.RequestHeadersTimeout"/> or <see cref="ListenerOptions.KeepAliveTimeout"/>; a read that
/// completes at once costs nothing, one that waits reuses a pooled state machine.
/// </summary>
internal sealed class ActivityPipeReader(PipeReader inner, ConnectionLimits limits) : PipeReader
{
    public override void AdvanceTo(SequencePosition consumed) => inner.AdvanceTo(consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined) => inner.AdvanceTo(consumed, examined);

    public override void CancelPendingRead() => inner.CancelPendingRead();

    public override void Complete(Exception? exception = null) => inner.Complete(exception);

    public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);

    public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        var pending = inner.ReadAsync(cancellationToken);
        if (pending.IsCompletedSuccessfully)
        {
            var result = pending.Result;
            Note(result);
            return new ValueTask<ReadResult>(result);
        }

        return AwaitAsync(pending);
    }

    public override bool TryRead(out ReadResult result)
    {
        if (!inner.TryRead(out result))
        {
            return false;
        }

        Note(result);
        return true;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ReadResult> AwaitAsync(ValueTask<ReadResult> pending)
    {
        var result = await pending.ConfigureAwait(false);
        Note(result);
        return result;
    }

    private void Note(in ReadResult result)
    {
        if (!result.IsCanceled && !result.Buffer.IsEmpty)
        {
            limits.OnBytesReceived();
        }
    }
}
