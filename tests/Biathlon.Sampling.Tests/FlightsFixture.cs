using Biathlon.Sampling.Ingest;
using Biathlon.Sampling.Layouts;

namespace Biathlon.Sampling.Tests;

/// <summary>The real flights-3m data (BTS, Jan–Jun 2001), ingested once and built into four layouts, shared by a test collection.</summary>
public sealed class FlightsFixture : IDisposable
{
    public FlightsFixture()
    {
        var path = RealData.Require("flights", "flights-3m.parquet");
        Raw = TableReader.ReadFileAsync(path).GetAwaiter().GetResult();
        Table = PartitionedTable.Build(Raw, new TableOptions
        {
            Name = "flights",
            Partitions = 100,
            Seed = 7,
            TimeColumn = "date",
            Layouts =
            [
                new LayoutSpec("all", []),
                new LayoutSpec("by_origin", ["origin"]),
                new LayoutSpec("by_route", ["origin", "destination"]),
            ],
        });
        Origins = Raw.GetStrings("origin");
        Destinations = Raw.GetStrings("destination");
        Times = Raw.GetInt64s("date").ToArray();
        Delays = Raw.GetInt64s("delay").ToArray();
        Distances = Raw.GetInt64s("distance").ToArray();
    }

    public RawTable Raw { get; }

    public PartitionedTable Table { get; }

    public string?[] Origins { get; }

    public string?[] Destinations { get; }

    public long[] Times { get; }

    public long[] Delays { get; }

    public long[] Distances { get; }

    public void Dispose() => Table.Dispose();
}

[CollectionDefinition(Name)]
public sealed class FlightsCollection : ICollectionFixture<FlightsFixture>
{
    public const string Name = "flights";
}
