using Apache.Arrow;
using Biathlon.Sampling.Ingest;
using Biathlon.Sampling.Layouts;

namespace Biathlon.Compute.Tests;

/// <summary>
/// Two small seeded tables shared by every test (built once per test run; tables are immutable). <see cref="Main"/>:
/// 4,000 rows of (key, t, x, y, n, s) in 20 partitions with a census stratum on x; <see cref="Other"/>: 1,500 rows of
/// the same shape in 8 partitions, without a census. x sits far from zero (about 1,000 ± 50, with a heavy tail) so the
/// kernels' conditioning matters; x and y hold NaN and nulls, n (Int64) and s (string) hold nulls.
/// </summary>
internal static class TestTables
{
    public const int MainPartitions = 20;

    /// <summary>Ordinals of the columns, in both tables.</summary>
    public const int Key = 0, T = 1, X = 2, Y = 3, N = 4, S = 5;

    private static readonly Lazy<PartitionedTable> s_main = new(() => Build("main", 4000, MainPartitions, seed: 11, census: true));
    private static readonly Lazy<PartitionedTable> s_other = new(() => Build("other", 1500, 8, seed: 29, census: false));

    public static PartitionedTable Main => s_main.Value;

    public static PartitionedTable Other => s_other.Value;

    /// <summary>Every column of every layout of both tables: what a fixture uploads to its device.</summary>
    public static IEnumerable<Layout> Layouts()
    {
        foreach (var table in new[] { Main, Other })
        {
            foreach (var name in new[] { "by_key", "all" })
            {
                yield return table.GetLayout(name);
            }
        }
    }

    private static PartitionedTable Build(string name, int rows, int partitions, ulong seed, bool census)
    {
        var random = new Random((int)seed);
        var key = new StringArray.Builder();
        var t = new Int64Array.Builder();
        var x = new DoubleArray.Builder();
        var y = new DoubleArray.Builder();
        var n = new Int64Array.Builder();
        var s = new StringArray.Builder();
        for (var i = 0; i < rows; i++)
        {
            var u = random.NextDouble();
            key.Append(u < 0.5 ? "a" : u < 0.8 ? "b" : "c");
            t.Append(i);
            var normal = Normal(random);
            var value = 1000 + 50 * normal + (random.NextDouble() < 0.02 ? 5000 * random.NextDouble() : 0);
            var draw = random.NextDouble();
            if (draw < 0.03)
            {
                x.AppendNull();
            }
            else if (draw < 0.06)
            {
                x.Append(double.NaN);
            }
            else
            {
                x.Append(value);
            }

            if (random.NextDouble() < 0.04)
            {
                y.Append(double.NaN);
            }
            else
            {
                y.Append(0.5 * value + 20 * Normal(random));
            }

            if (random.NextDouble() < 0.05)
            {
                n.AppendNull();
            }
            else
            {
                n.Append(random.Next(-500, 500));
            }

            if (random.NextDouble() < 0.05)
            {
                s.AppendNull();
            }
            else
            {
                s.Append("k" + random.Next(40).ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        var batch = new RecordBatch.Builder()
            .Append("key", false, key.Build())
            .Append("t", false, t.Build())
            .Append("x", true, x.Build())
            .Append("y", true, y.Build())
            .Append("n", true, n.Build())
            .Append("s", true, s.Build())
            .Build();
        var raw = ArrowTableReader.Read([batch], name);
        return PartitionedTable.Build(raw, new TableOptions
        {
            Name = name,
            Partitions = partitions,
            Seed = seed,
            TimeColumn = "t",
            Layouts = [new LayoutSpec("by_key", ["key"]), new LayoutSpec("all", [])],
            Census = census ? new CensusOptions { Columns = ["x"] } : null,
        });
    }

    private static double Normal(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
