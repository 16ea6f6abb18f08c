using System.IO.Pipelines;

namespace Roadrunner.AspNetCore.Limits;

/// <summary>The transport with its input seen through an <see cref="ActivityPipeReader"/>; the output is untouched.</summary>
internal sealed class ActivityDuplexPipe(IDuplexPipe inner, ConnectionLimits limits) : IDuplexPipe
{
    public PipeReader Input { get; } = new ActivityPipeReader(inner.Input, limits);

    public PipeWriter Output => inner.Output;
}
