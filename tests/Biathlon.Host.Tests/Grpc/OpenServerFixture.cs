namespace Biathlon.Host.Tests.Grpc;

/// <summary>No API keys; sensor-anomaly (small) and flight-delay (S1 worth comparing).</summary>
public sealed class OpenServerFixture : ScoringServerFixture
{
    protected override IReadOnlyList<string> Pipelines => ["sensor-anomaly", "flight-delay"];
}
