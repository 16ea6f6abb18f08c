namespace Roadrunner.AspNetCore.Admin.Dashboard;

/// <summary>What the dashboard shows of one drain, running or ended in the last <see cref="DashboardFeed.EndedDrainsShownFor"/>.</summary>
internal sealed class DrainView
{
    public required string ListenerName { get; init; }

    /// <summary><see langword="true"/> for a soft drain (notify-drain): nothing is closed, the listener keeps accepting.</summary>
    public required bool Soft { get; init; }

    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>The deadline; <see langword="null"/> for a drain without one.</summary>
    public DateTimeOffset? Deadline { get; set; }

    public int ConnectionsAtStart { get; init; }

    public int Acknowledgements;

    /// <summary>Set when the drain ended (a soft drain ends at its deadline).</summary>
    public DrainResult? Result { get; set; }

    public DateTimeOffset? EndedAt { get; set; }
}
