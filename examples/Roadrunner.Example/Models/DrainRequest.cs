namespace Roadrunner.Example.Models;

/// <summary>Optional body of <c>POST /admin/listeners/{name}/drain</c>.</summary>
public sealed class DrainRequest
{
    /// <summary>Grace period in milliseconds, 0–600000; defaults to 30000.</summary>
    public long? TimeoutMs { get; init; }
}
