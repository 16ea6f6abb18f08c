namespace Roadrunner.AspNetCore.Admin;

/// <summary>Optional body of <c>POST {prefix}/listeners/{name}/drain</c>.</summary>
internal sealed class DrainRequest
{
    /// <summary>Grace period in milliseconds, 0–600000; defaults to 30000.</summary>
    public long? TimeoutMs { get; init; }
}
