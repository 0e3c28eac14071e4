namespace Biathlon.Host.Metrics;

/// <summary>
/// Names of the engine's instruments (Meter "Biathlon.Engine", defined in src/Engine). The Host cannot reference the
/// engine's internals, so it repeats the names it exports, views and listens to.
/// </summary>
internal static class EngineMetricNames
{
    public const string MeterName = "Biathlon.Engine";
    public const string Duration = "biathlon.engine.duration";
    public const string StageDuration = "biathlon.engine.stage.duration";
    public const string Rounds = "biathlon.engine.rounds";
    public const string SampleFraction = "biathlon.engine.sample_fraction";
    public const string Confidence = "biathlon.engine.confidence";
    public const string Predictions = "biathlon.engine.predictions";
    public const string RowsRead = "biathlon.engine.rows_read";
}
