using Apache.Arrow;
using Biathlon.Sampling.Ingest;
using Biathlon.Sampling.Layouts;

namespace Biathlon.Sampling.Tests;

/// <summary>Hand-built tables for exact, readable expectations.</summary>
internal static class SmallTables
{
    /// <summary>
    /// A table of (key: string, t: int64, x: double with NaN and nulls, y: int64 with nulls). Group "a" has 10 rows at
    /// t = 0..9, group "b" has 5 rows at t = 0..4, group "c" holds only nulls in x and y.
    /// </summary>
    public static RawTable KeyTimeXY()
    {
        var key = new StringArray.Builder();
        var t = new Int64Array.Builder();
        var x = new DoubleArray.Builder();
        var y = new Int64Array.Builder();
        for (var i = 0; i < 10; i++)
        {
            key.Append("a");
            t.Append(i);
            if (i == 3)
            {
                x.AppendNull();
            }
            else if (i == 4)
            {
                x.Append(double.NaN);
            }
            else
            {
                x.Append(i * 1.5);
            }

            if (i == 7)
            {
                y.AppendNull();
            }
            else
            {
                y.Append(100 - i * i);
            }
        }

        for (var i = 0; i < 5; i++)
        {
            key.Append("b");
            t.Append(i);
            x.Append(-i);
            y.Append(i % 2);
        }

        for (var i = 0; i < 3; i++)
        {
            key.Append("c");
            t.Append(i);
            x.AppendNull();
            y.AppendNull();
        }

        var batch = new RecordBatch.Builder()
            .Append("key", false, key.Build())
            .Append("t", false, t.Build())
            .Append("x", true, x.Build())
            .Append("y", true, y.Build())
            .Build();
        return ArrowTableReader.Read([batch], "small");
    }

    public static PartitionedTable Partitioned(RawTable raw, int partitions = 10, ulong seed = 1) =>
        PartitionedTable.Build(raw, new TableOptions
        {
            Partitions = partitions,
            Seed = seed,
            TimeColumn = "t",
            Layouts = [new LayoutSpec("by_key", ["key"]), new LayoutSpec("all", [])],
        });
}
