using Apache.Arrow;
using Apache.Arrow.Ipc;
using Biathlon.Sampling.Ingest;
using Biathlon.Sampling.Schema;
using Parquet;
using Parquet.Schema;

namespace Biathlon.Sampling.Tests;

/// <summary>Readers for Parquet, Arrow IPC, Arrow record batches and CSV map source types and nulls as documented.</summary>
public sealed class IngestTests
{
    [Fact]
    public async Task Flights_parquet_has_three_million_rows_and_the_documented_schema()
    {
        var raw = await TableReader.ReadFileAsync(RealData.Require("flights", "flights-3m.parquet"));
        Assert.Equal(3_000_000, raw.RowCount);
        Assert.Equal(ColumnType.Timestamp, raw.Schema.Column("date").Type);
        Assert.Equal(ColumnType.Int64, raw.Schema.Column("delay").Type);
        Assert.Equal(ColumnType.Int64, raw.Schema.Column("distance").Type);
        Assert.Equal(ColumnType.String, raw.Schema.Column("origin").Type);
        Assert.Equal(0, raw.NullCount("delay"));
        // Facts from the dataset note (datasets.md): 229 origins; dates span 2001-01-01 00:01 to 2001-07-01 00:00.
        Assert.Equal(229, raw.GetStrings("origin").Distinct().Count());
        var times = raw.GetInt64s("date");
        Assert.Equal(new DateTime(2001, 1, 1, 0, 1, 0), TimeValue.ToDateTime(times.ToArray().Min()));
        Assert.Equal(new DateTime(2001, 7, 1, 0, 0, 0), TimeValue.ToDateTime(times.ToArray().Max()));
    }

    [Fact]
    public async Task Csv_columns_are_inferred_and_R_style_NA_is_null()
    {
        using var dir = new TempDirectory();
        var path = dir.File("air.csv");
        File.WriteAllText(path, "\"station\",\"date\",\"pm10\",\"count\"\n\"DEBY001\",1998-01-01,12.5,3\n\"DEBY002\",1998-01-02,NA,4\n\"DESH001\",1998-01-03 06:30:00,7,NA\n");
        var raw = await TableReader.ReadFileAsync(path);
        Assert.Equal(3, raw.RowCount);
        Assert.Equal(ColumnType.String, raw.Schema.Column("station").Type);
        Assert.Equal(ColumnType.Timestamp, raw.Schema.Column("date").Type);
        Assert.Equal(ColumnType.Double, raw.Schema.Column("pm10").Type);
        Assert.Equal(ColumnType.Int64, raw.Schema.Column("count").Type);
        Assert.Equal(new string?[] { "DEBY001", "DEBY002", "DESH001" }, raw.GetStrings("station"));
        Assert.Equal(new DateTime(1998, 1, 3, 6, 30, 0), TimeValue.ToDateTime(raw.GetInt64s("date")[2]));
        Assert.True(double.IsNaN(raw.GetDoubles("pm10")[1]));
        Assert.Equal(1, raw.NullCount("pm10"));
        Assert.Equal(1, raw.NullCount("count"));
    }

    [Fact]
    public async Task A_csv_integer_column_meeting_a_fraction_after_inference_becomes_double()
    {
        using var dir = new TempDirectory();
        var path = dir.File("late-fraction.csv");
        File.WriteAllText(path, "v\n1\n2\n3\n4.5\n");
        var raw = await TableReader.ReadFileAsync(path, new CsvReadOptions { InferenceRows = 2 });
        Assert.Equal(ColumnType.Double, raw.Schema.Column("v").Type);
        Assert.Equal([1, 2, 3, 4.5], raw.GetDoubles("v").ToArray());
    }

    [Fact]
    public async Task Csv_column_types_can_be_given()
    {
        using var dir = new TempDirectory();
        var path = dir.File("typed.csv");
        File.WriteAllText(path, "id;v\n007;1\n008;2\n");
        var raw = await TableReader.ReadFileAsync(path, new CsvReadOptions
        {
            Delimiter = ';',
            ColumnTypes = new Dictionary<string, ColumnType> { ["id"] = ColumnType.String, ["v"] = ColumnType.Double },
        });
        Assert.Equal(new string?[] { "007", "008" }, raw.GetStrings("id"));
        Assert.Equal([1.0, 2.0], raw.GetDoubles("v").ToArray());
    }

    [Fact]
    public async Task Parquet_nullable_columns_of_every_kind_round_trip()
    {
        using var dir = new TempDirectory();
        var path = dir.File("kinds.parquet");
        var schema = new ParquetSchema(
            new DataField<int?>("i"), new DataField<double?>("d"), new DataField<string>("s"),
            new DataField<DateTime>("t"), new DataField<bool>("b"), new DataField<float>("f"));
        await using (var stream = File.Create(path))
        await using (var writer = await ParquetWriter.CreateAsync(schema, stream))
        using (var group = writer.CreateRowGroup())
        {
            await group.WriteAsync(schema.DataFields[0], new ReadOnlyMemory<int?>([1, null, 3]));
            await group.WriteAsync(schema.DataFields[1], new ReadOnlyMemory<double?>([0.5, 1.5, null]));
            await group.WriteAsync(schema.DataFields[2], new string?[] { "x", null, "x" });
            await group.WriteAsync(schema.DataFields[3], new ReadOnlyMemory<DateTime>([new DateTime(2020, 1, 1), new DateTime(2020, 1, 2, 3, 4, 5), new DateTime(1999, 12, 31)]));
            await group.WriteAsync(schema.DataFields[4], new ReadOnlyMemory<bool>([true, false, true]));
            await group.WriteAsync(schema.DataFields[5], new ReadOnlyMemory<float>([1f, 2f, 3f]));
        }

        var raw = await TableReader.ReadFileAsync(path);
        Assert.Equal([1, long.MinValue, 3], raw.GetInt64s("i").ToArray());
        Assert.Equal(1, raw.NullCount("i"));
        Assert.Equal(0.5, raw.GetDoubles("d")[0]);
        Assert.True(double.IsNaN(raw.GetDoubles("d")[2]));
        Assert.Equal(new string?[] { "x", null, "x" }, raw.GetStrings("s"));
        Assert.Equal(new DateTime(2020, 1, 2, 3, 4, 5), TimeValue.ToDateTime(raw.GetInt64s("t")[1]));
        Assert.Equal([1, 0, 1], raw.GetInt64s("b").ToArray());
        Assert.Equal([1.0, 2.0, 3.0], raw.GetDoubles("f").ToArray());
    }

    [Fact]
    public async Task Arrow_ipc_files_and_multi_batch_streams_are_read()
    {
        using var dir = new TempDirectory();
        var path = dir.File("two-batches.arrow");
        RecordBatch Batch(int start) => new RecordBatch.Builder()
            .Append("k", false, new StringArray.Builder().Append($"g{start}").Append("g0").Build())
            .Append("ts", false, new TimestampArray.Builder(Apache.Arrow.Types.TimeUnit.Millisecond).Append(DateTimeOffset.FromUnixTimeMilliseconds(start * 1000)).Append(DateTimeOffset.FromUnixTimeMilliseconds(1)).Build())
            .Append("v", true, new FloatArray.Builder().Append(start).AppendNull().Build())
            .Build();
        var first = Batch(0);
        await using (var stream = File.Create(path))
        {
            using var writer = new ArrowFileWriter(stream, first.Schema);
            writer.WriteRecordBatch(first);
            writer.WriteRecordBatch(Batch(5));
            writer.WriteEnd();
        }

        var raw = await TableReader.ReadFileAsync(path);
        Assert.Equal(4, raw.RowCount);
        Assert.Equal(new string?[] { "g0", "g0", "g5", "g0" }, raw.GetStrings("k"));
        Assert.Equal([0L, 1000L, 5_000_000L, 1000L], raw.GetInt64s("ts").ToArray());
        Assert.Equal(2, raw.NullCount("v"));
    }
}
