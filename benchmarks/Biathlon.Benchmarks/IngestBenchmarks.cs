using BenchmarkDotNet.Attributes;
using Biathlon.Sampling.Ingest;
using Biathlon.Sampling.Layouts;

namespace Biathlon.Benchmarks;

// Startup cost of serving flights-3m: read data/real/flights-3m.parquet and build the partitioned table (P = 100,
// time column date) with layouts all and by_origin. One operation is the whole ingest (seconds), so the job is
// trimmed to one launch, one warmup and three measured iterations of one invocation each. These are job *mutators*:
// they also trim a job chosen on the command line (--job short) instead of adding a second job beside it.
// The two halves are measured separately too, to show where the time goes.
[ProcessCount(1)]
[WarmupCount(1)]
[IterationCount(3)]
[RunOncePerIteration]
public class IngestBenchmarks
{
    private string _path = "";
    private RawTable? _raw;

    [GlobalSetup(Targets = [nameof(ReadAndBuild), nameof(ReadParquet)])]
    public void SetupPath() => _path = FlightsData.ParquetPath();

    [GlobalSetup(Target = nameof(BuildLayouts))]
    public void SetupRaw() => _raw = TableReader.ReadFileAsync(FlightsData.ParquetPath()).GetAwaiter().GetResult();

    [Benchmark(Baseline = true, Description = "Read Parquet + build 2 layouts")]
    public async Task<long> ReadAndBuild()
    {
        var raw = await TableReader.ReadFileAsync(_path).ConfigureAwait(false);
        using var table = PartitionedTable.Build(raw, FlightsData.Options);
        return table.RowCount;
    }

    [Benchmark(Description = "Read Parquet only")]
    public async Task<int> ReadParquet()
    {
        var raw = await TableReader.ReadFileAsync(_path).ConfigureAwait(false);
        return raw.RowCount;
    }

    [Benchmark(Description = "Build 2 layouts only")]
    public long BuildLayouts()
    {
        using var table = PartitionedTable.Build(_raw!, FlightsData.Options);
        return table.RowCount;
    }
}
