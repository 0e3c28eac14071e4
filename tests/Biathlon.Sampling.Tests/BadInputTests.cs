using Biathlon.Sampling.Aggregates;
using Biathlon.Sampling.Errors;
using Biathlon.Sampling.Estimators;
using Biathlon.Sampling.Ingest;
using Biathlon.Sampling.Layouts;
using Biathlon.Sampling.Queries;
using Biathlon.Sampling.Storage;

namespace Biathlon.Sampling.Tests;

/// <summary>Every kind of bad input gets an exception of ours that names the file, column, option or value at fault.</summary>
public sealed class BadInputTests
{
    private readonly PartitionedTable _table = SmallTables.Partitioned(SmallTables.KeyTimeXY());

    private Layout ByKey => _table.GetLayout("by_key");

    private static Dictionary<string, object?> Key(object? value) => new() { ["key"] = value };

    [Fact]
    public void Unknown_column_in_an_aggregate_is_named()
    {
        var predicate = ByKey.Bind(new RowPredicate { Keys = Key("a") });
        var e = Assert.Throws<SchemaException>(() => ByKey.OpenCursor(predicate, [AggregateSpec.Avg("nope")]));
        Assert.Equal("nope", e.Column);
        Assert.Contains("'nope'", e.Message);
    }

    [Fact]
    public void Unknown_column_in_a_filter_a_key_and_the_time_option_is_named()
    {
        var filter = Assert.Throws<SchemaException>(() =>
            ByKey.Bind(new RowPredicate { Keys = Key("a"), Filters = [new ColumnFilter("missing", FilterOp.Equal, 1)] }));
        Assert.Equal("missing", filter.Column);

        var key = Assert.Throws<SchemaException>(() =>
            ByKey.Bind(new RowPredicate { Keys = new Dictionary<string, object?> { ["key"] = "a", ["ghost"] = 1 } }));
        Assert.Equal("ghost", key.Column);

        var time = Assert.Throws<SchemaException>(() =>
            PartitionedTable.Build(SmallTables.KeyTimeXY(), new TableOptions { TimeColumn = "when" }));
        Assert.Equal("when", time.Column);
    }

    [Fact]
    public void A_non_key_column_used_as_a_key_and_a_missing_key_are_named()
    {
        var notKey = Assert.Throws<QueryException>(() =>
            ByKey.Bind(new RowPredicate { Keys = new Dictionary<string, object?> { ["key"] = "a", ["x"] = 1.0 } }));
        Assert.Equal("x", notKey.Field);

        var missing = Assert.Throws<QueryException>(() => ByKey.Bind(new RowPredicate()));
        Assert.Equal("key", missing.Field);
    }

    [Fact]
    public void Wrong_column_types_are_named()
    {
        var predicate = ByKey.Bind(new RowPredicate { Keys = Key("a") });
        var avgOfText = Assert.Throws<SchemaException>(() => ByKey.OpenCursor(predicate, [AggregateSpec.Avg("key")]));
        Assert.Equal("key", avgOfText.Column);
        Assert.Contains("String", avgOfText.Message);

        var numberForText = Assert.Throws<SchemaException>(() => ByKey.Bind(new RowPredicate { Keys = Key(42) }));
        Assert.Equal("key", numberForText.Column);

        var textForNumber = Assert.Throws<SchemaException>(() =>
            ByKey.Bind(new RowPredicate { Keys = Key("a"), Filters = [new ColumnFilter("y", FilterOp.Less, "ten")] }));
        Assert.Equal("y", textForNumber.Column);

        var orderOnText = Assert.Throws<QueryException>(() =>
            ByKey.Bind(new RowPredicate { Keys = Key("a"), Filters = [new ColumnFilter("key", FilterOp.Less, "b")] }));
        Assert.Equal("key", orderOnText.Field);

        var textTime = Assert.Throws<SchemaException>(() =>
            PartitionedTable.Build(SmallTables.KeyTimeXY(), new TableOptions { TimeColumn = "key" }));
        Assert.Equal("key", textTime.Column);
    }

    [Fact]
    public void A_window_that_starts_after_it_ends_names_from_and_both_values()
    {
        var e = Assert.Throws<QueryException>(() => ByKey.Bind(new RowPredicate { Keys = Key("a"), From = 9, To = 3 }));
        Assert.Equal("from", e.Field);
        Assert.Contains("9", e.Message);
        Assert.Contains("3", e.Message);
    }

    [Fact]
    public void A_window_on_a_table_without_time_column_is_refused()
    {
        using var table = PartitionedTable.Build(SmallTables.KeyTimeXY(), new TableOptions());
        var layout = table.Layouts[0];
        var e = Assert.Throws<QueryException>(() => layout.Bind(new RowPredicate { From = 0 }));
        Assert.Equal("from", e.Field);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    [InlineData(70_000)]
    public void Partition_counts_outside_1_to_65536_are_refused(int partitions)
    {
        var e = Assert.Throws<ConfigurationException>(() =>
            PartitionedTable.Build(SmallTables.KeyTimeXY(), new TableOptions { Partitions = partitions }));
        Assert.Equal("Partitions", e.Option);
        Assert.Contains(partitions.ToString(System.Globalization.CultureInfo.InvariantCulture), e.Message);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-0.1)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void Sample_fractions_outside_0_to_1_are_refused(double z)
    {
        var cursor = ByKey.OpenCursor(ByKey.Bind(new RowPredicate { Keys = Key("a") }), [AggregateSpec.Count()]);
        var e = Assert.Throws<QueryException>(() => cursor.WidenTo(z));
        Assert.Equal("z", e.Field);
    }

    [Fact]
    public void Estimating_before_reading_and_impossible_quantiles_are_refused()
    {
        var predicate = ByKey.Bind(new RowPredicate { Keys = Key("a") });
        var cursor = ByKey.OpenCursor(predicate, [AggregateSpec.Count()]);
        Assert.Equal("z", Assert.Throws<QueryException>(() => cursor.Estimate(0)).Field);
        Assert.Equal("quantile", Assert.Throws<QueryException>(() => ByKey.OpenCursor(predicate, [AggregateSpec.Percentile("x", 1.2)])).Field);
        Assert.Equal("partitions", Assert.Throws<QueryException>(() => cursor.WidenToPartitions(11)).Field);
    }

    [Fact]
    public void Bad_estimator_and_layout_options_are_named()
    {
        Assert.Equal("minSupport", Assert.Throws<ConfigurationException>(() => new EstimatorOptions(minSupport: 0)).Option);
        Assert.Equal("maxSkewness", Assert.Throws<ConfigurationException>(() => new EstimatorOptions(maxSkewness: 0)).Option);
        Assert.Equal("maxLogSpread", Assert.Throws<ConfigurationException>(() => new EstimatorOptions(maxLogSpread: double.PositiveInfinity)).Option);
        Assert.Equal("confidenceLevel", Assert.Throws<ConfigurationException>(() => new EstimatorOptions(confidenceLevel: 1)).Option);
        Assert.Equal("Layouts", Assert.Throws<ConfigurationException>(() =>
            PartitionedTable.Build(SmallTables.KeyTimeXY(), new TableOptions { Layouts = [new LayoutSpec("a b", [])] })).Option);
        Assert.Equal("key", Assert.Throws<SchemaException>(() =>
            PartitionedTable.Build(SmallTables.KeyTimeXY(), new TableOptions { Layouts = [new LayoutSpec("k", ["key", "key"])] })).Column);
    }

    [Fact]
    public async Task Empty_tables_are_refused_naming_the_source()
    {
        using var dir = new TempDirectory();
        var headerOnly = dir.File("header-only.csv");
        File.WriteAllText(headerOnly, "a,b,c\n");
        var csv = await Assert.ThrowsAsync<DataSourceException>(() => TableReader.ReadFileAsync(headerOnly));
        Assert.Equal(headerOnly, csv.SourceName);
        Assert.Contains("no rows", csv.Message);

        var empty = dir.File("empty.parquet");
        File.WriteAllBytes(empty, []);
        Assert.Equal(empty, (await Assert.ThrowsAsync<DataSourceException>(() => TableReader.ReadFileAsync(empty))).SourceName);

        Assert.Equal("batches", Assert.Throws<DataSourceException>(() => ArrowTableReader.Read([], "batches")).SourceName);
    }

    [Fact]
    public async Task A_missing_file_and_a_file_in_no_supported_format_are_named()
    {
        using var dir = new TempDirectory();
        var missing = dir.File("nothing-here.parquet");
        Assert.Equal(missing, (await Assert.ThrowsAsync<DataSourceException>(() => TableReader.ReadFileAsync(missing))).SourceName);

        var binary = dir.File("image.png");
        var bytes = new byte[4096];
        new Random(3).NextBytes(bytes);
        bytes[10] = 0;
        File.WriteAllBytes(binary, bytes);
        var e = await Assert.ThrowsAsync<DataSourceException>(() => TableReader.ReadFileAsync(binary));
        Assert.Equal(binary, e.SourceName);
        Assert.Contains("not a Parquet, Arrow IPC or CSV file", e.Message);
    }

    [Fact]
    public async Task Truncated_parquet_and_arrow_files_are_named()
    {
        using var dir = new TempDirectory();
        var source = RealData.Require("flights", "flights-3m.parquet");
        var parquet = dir.File("cut.parquet");
        using (var input = File.OpenRead(source))
        using (var output = File.Create(parquet))
        {
            var head = new byte[200_000];
            input.ReadExactly(head);
            output.Write(head);
        }

        var p = await Assert.ThrowsAsync<DataSourceException>(() => TableReader.ReadFileAsync(parquet));
        Assert.Equal(parquet, p.SourceName);
        Assert.Contains("truncated", p.Message);

        var tableDir = dir.File("saved");
        TableStore.Save(_table, tableDir);
        var arrow = Path.Combine(tableDir, "layout.by_key.arrow");
        var cut = File.ReadAllBytes(arrow);
        File.WriteAllBytes(arrow, cut[..(cut.Length * 2 / 3)]);
        var a = Assert.Throws<DataSourceException>(() => TableStore.Load(tableDir));
        Assert.Equal(arrow, a.SourceName);

        var ipc = dir.File("cut.arrow");
        File.WriteAllBytes(ipc, cut[..(cut.Length / 2)]);
        Assert.Equal(ipc, (await Assert.ThrowsAsync<DataSourceException>(() => TableReader.ReadFileAsync(ipc))).SourceName);
    }

    [Fact]
    public void A_folder_without_a_saved_table_and_a_corrupt_manifest_are_named()
    {
        using var dir = new TempDirectory();
        var e = Assert.Throws<DataSourceException>(() => TableStore.Load(dir.Path));
        Assert.EndsWith("table.json", e.SourceName);

        File.WriteAllText(dir.File("table.json"), "{ this is not json");
        Assert.EndsWith("table.json", Assert.Throws<DataSourceException>(() => TableStore.Load(dir.Path)).SourceName);
    }

    [Fact]
    public async Task A_csv_value_that_does_not_fit_its_column_names_the_line_and_column()
    {
        using var dir = new TempDirectory();
        var path = dir.File("bad.csv");
        File.WriteAllText(path, "when,value\n2001-01-01,1\n2001-01-02,2\nyesterday,3\n");
        var e = await Assert.ThrowsAsync<SchemaException>(() => TableReader.ReadFileAsync(path, new CsvReadOptions { InferenceRows = 2 }));
        Assert.Equal("when", e.Column);
        Assert.Contains("line 4", e.Message);
        Assert.Contains("yesterday", e.Message);
    }

    [Fact]
    public void A_bad_request_leaves_the_table_usable()
    {
        Assert.ThrowsAny<BiathlonException>(() => ByKey.Bind(new RowPredicate { Keys = Key("a"), From = 5, To = 1 }));
        var cursor = ByKey.OpenCursor(ByKey.Bind(new RowPredicate { Keys = Key("a") }), [AggregateSpec.Count()]);
        cursor.WidenTo(1);
        Assert.Equal(10, cursor.Estimate(0).Value);
    }
}
