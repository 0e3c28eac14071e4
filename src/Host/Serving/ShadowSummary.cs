namespace Biathlon.Host.Serving;

/// <summary>A shadow's record at one moment (latencies in milliseconds, engine time).</summary>
internal sealed record ShadowSummary(long Version, long Compared, long Agreed, long Failed, long Skipped, double Agreement, double PrimaryMeanMs, double ShadowMeanMs);
