using Biathlon.Sampling.Ingest;
using Biathlon.Sampling.Schema;

namespace Biathlon.Engine.Tests;

/// <summary>
/// Real rows for model tests: per flight of flights-3m, the features (distance, hour of departure, day of week,
/// minute) and its arrival delay. Training uses the first 20,000 flights; comparisons use the next 1,000.
/// </summary>
internal static class FlightRows
{
    private static readonly Lazy<(float[][] Features, float[] Delays)> s_rows = new(Load);

    public static float[][] TrainFeatures => s_rows.Value.Features[..20_000];

    public static float[] TrainDelays => s_rows.Value.Delays[..20_000];

    public static float[][] TestFeatures => s_rows.Value.Features[20_000..21_000];

    private static (float[][], float[]) Load()
    {
        var raw = TableReader.ReadFileAsync(RealData.Require("flights", "flights-3m.parquet")).GetAwaiter().GetResult();
        var times = raw.GetInt64s("date");
        var distances = raw.GetInt64s("distance");
        var delays = raw.GetInt64s("delay");
        const int count = 21_000;
        var features = new float[count][];
        var labels = new float[count];
        for (var r = 0; r < count; r++)
        {
            // Spread over the half-year: every 100th flight.
            var row = r * 100;
            var time = TimeValue.ToDateTime(times[row]);
            features[r] = [distances[row], time.Hour, (int)time.DayOfWeek, time.Minute];
            labels[r] = delays[row];
        }

        return (features, labels);
    }
}
