using System.Globalization;

namespace Biathlon.Experiments.Harness;

/// <summary>Writes a calibration's per-request records as calibration-PIPELINE.csv in a run folder.</summary>
public static class CalibrationCsv
{
    /// <summary>The CSV header, in column order.</summary>
    public const string Header =
        "pipeline,table_seed,delta_label,delta,tau,request,stop,value,exact_value,abs_error,within_delta,confidence,rounds," +
        "mean_fraction,latency_ms,exact_latency_ms,depends_on_measured_costs";

    /// <summary>Writes <paramref name="records"/> to <paramref name="file"/>, replacing it.</summary>
    public static void Write(string file, IEnumerable<CalibrationRecord> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        using var writer = new StreamWriter(file);
        writer.WriteLine(Header);
        foreach (var r in records)
        {
            writer.WriteLine(string.Join(',',
                r.Pipeline, I(r.TableSeed), Quote(r.DeltaLabel), F(r.Delta), F(r.Tau), I(r.Request), r.Stop, F(r.Value), F(r.ExactValue),
                F(r.AbsoluteError), r.WithinDelta ? "1" : "0", F(r.Confidence), I(r.Rounds), F(r.MeanFraction), F(r.LatencyMs),
                F(r.ExactLatencyMs), r.DependsOnMeasuredCosts ? "1" : "0"));
        }

        static string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);
        static string I(int v) => v.ToString(CultureInfo.InvariantCulture);
        static string Quote(string text) => text.Contains(',', StringComparison.Ordinal) ? $"\"{text.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : text;
    }
}
