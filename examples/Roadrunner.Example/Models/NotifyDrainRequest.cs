namespace Roadrunner.Example.Models;

/// <summary>Optional body of <c>POST /admin/listeners/{name}/notify-drain</c>.</summary>
public sealed class NotifyDrainRequest
{
    /// <summary>Deadline announced to the requests in flight, in milliseconds from now, 0–600000; defaults to 30000.</summary>
    public long? DeadlineMs { get; init; }
}
