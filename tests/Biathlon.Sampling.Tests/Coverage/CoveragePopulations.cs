using Biathlon.Sampling.Ingest;
using Biathlon.Sampling.Numerics;
using Biathlon.Sampling.Schema;

namespace Biathlon.Sampling.Tests.Coverage;

/// <summary>
/// The populations every operator's error is checked on: real columns from the fetched data, and generated heavy-tailed
/// and bimodal ones (fixed seeds), each a few ten thousand values.
/// </summary>
internal static class CoveragePopulations
{
    public static readonly string[] Names =
    [
        "flight-delay", "flight-distance", "sensor-humidity", "sensor-temperature", "pareto-2.5", "lognormal-1", "bimodal",
    ];

    /// <summary>The values of population <paramref name="name"/>.</summary>
    public static double[] Load(string name, FlightsFixture flights) => name switch
    {
        // Every flight out of ATL in March 2001 (21,269 rows): delay has kurtosis 142, distance is a few route values.
        "flight-delay" => Flights(flights, flights.Delays),
        "flight-distance" => Flights(flights, flights.Distances),

        // Every reading of the single-hop wireless sensor deployment (18,914 rows; two decimals, many ties).
        "sensor-humidity" => Sensor("humidity"),
        "sensor-temperature" => Sensor("temperature"),

        // 20,000 draws: Pareto with α = 2.5 (finite variance, infinite kurtosis), lognormal σ = 1, and a 70/30
        // mixture of N(0, 1) and N(6, 0.5²).
        "pareto-2.5" => Generate(20_000, 25, u => Math.Pow(1 - u, -1 / 2.5)),
        "lognormal-1" => Generate(20_000, 26, u => Math.Exp(NormalDistribution.InverseCdf(u))),
        "bimodal" => Bimodal(20_000, 27),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "No such population."),
    };

    private static double[] Flights(FlightsFixture flights, long[] column)
    {
        var from = TimeValue.FromDateTime(new DateTime(2001, 3, 1));
        var to = TimeValue.FromDateTime(new DateTime(2001, 4, 1));
        var values = new List<double>();
        for (var r = 0; r < flights.Raw.RowCount; r++)
        {
            if (flights.Origins[r] == "ATL" && flights.Times[r] >= from && flights.Times[r] < to && column[r] != long.MinValue)
            {
                values.Add(column[r]);
            }
        }

        return [.. values];
    }

    private static double[] Sensor(string column)
    {
        var raw = TableReader.ReadFileAsync(RealData.Require("sensors", "wsn-single-hop.csv")).GetAwaiter().GetResult();
        var values = new List<double>();
        var ordinal = raw.Schema.Ordinal(column);
        foreach (var v in raw.Schema[ordinal].Type == ColumnType.Double ? raw.GetDoubles(column).ToArray() : raw.GetInt64s(column).ToArray().Select(x => (double)x).ToArray())
        {
            if (!double.IsNaN(v))
            {
                values.Add(v);
            }
        }

        return [.. values];
    }

    private static double[] Generate(int count, ulong seed, Func<double, double> inverseCdf)
    {
        var rng = new Xoshiro256(seed);
        var values = new double[count];
        for (var i = 0; i < count; i++)
        {
            values[i] = inverseCdf(rng.NextDouble());
        }

        return values;
    }

    private static double[] Bimodal(int count, ulong seed)
    {
        var rng = new Xoshiro256(seed);
        var values = new double[count];
        for (var i = 0; i < count; i++)
        {
            var z = NormalDistribution.InverseCdf(rng.NextOpenClosed() * 0.999999);
            values[i] = rng.NextDouble() < 0.7 ? z : 6 + 0.5 * z;
        }

        return values;
    }
}
