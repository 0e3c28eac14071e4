namespace Biathlon.Host.Status;

/// <summary>Status page settings (configuration section "Biathlon:StatusPage").</summary>
internal sealed class StatusPageOptions
{
    public const string SectionName = "Biathlon:StatusPage";

    /// <summary>How many recent predictions the page keeps and shows.</summary>
    public int RecentPredictions { get; set; } = Status.RecentPredictions.DefaultCapacity;

    /// <summary>Seconds between the page's automatic reloads; 0 turns reloading off.</summary>
    public int RefreshSeconds { get; set; } = 5;
}
