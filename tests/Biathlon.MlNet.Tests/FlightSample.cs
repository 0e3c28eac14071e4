using Biathlon.Sampling.Ingest;
using Biathlon.Sampling.Schema;

namespace Biathlon.MlNet.Tests;

/// <summary>
/// Real rows from flights-3m for the conversion tests: every 150th flight's distance, departure hour, day of week and
/// minute, with its arrival delay. The first 10,000 train; the next 1,000 are compared.
/// </summary>
internal static class FlightSample
{
    public const int Width = 4;
    private const int TrainCount = 10_000;
    private const int TestCount = 1_000;
    private static readonly Lazy<(float[][] Features, float[] Delays)> s_rows = new(Read);

    public static float[][] Train => s_rows.Value.Features[..TrainCount];

    public static float[] TrainDelays => s_rows.Value.Delays[..TrainCount];

    public static float[] TrainLate => [.. TrainDelays.Select(d => d > 15 ? 1f : 0f)];

    public static float[][] Test => s_rows.Value.Features[TrainCount..];

    public static float[] TestDelays => s_rows.Value.Delays[TrainCount..];

    private static (float[][], float[]) Read()
    {
        var table = TableReader.ReadFileAsync(RealData.Require("flights", "flights-3m.parquet")).GetAwaiter().GetResult();
        var dates = table.GetInt64s("date");
        var distances = table.GetInt64s("distance");
        var delays = table.GetInt64s("delay");
        var features = new float[TrainCount + TestCount][];
        var labels = new float[features.Length];
        for (var i = 0; i < features.Length; i++)
        {
            var row = i * 150;
            var departure = TimeValue.ToDateTime(dates[row]);
            features[i] = [distances[row], departure.Hour, (int)departure.DayOfWeek, departure.Minute];
            labels[i] = delays[row];
        }

        return (features, labels);
    }
}
