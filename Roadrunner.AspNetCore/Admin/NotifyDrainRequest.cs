namespace Roadrunner.AspNetCore.Admin;

/// <summary>Optional body of <c>POST {prefix}/listeners/{name}/notify-drain</c>.</summary>
internal sealed class NotifyDrainRequest
{
    /// <summary>Deadline announced to the requests in flight, in milliseconds from now, 0–600000; defaults to 30000.</summary>
    public long? DeadlineMs { get; init; }
}
