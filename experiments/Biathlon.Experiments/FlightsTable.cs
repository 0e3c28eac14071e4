using System.Diagnostics;
using Biathlon.Sampling.Ingest;
using Biathlon.Sampling.Layouts;
using Biathlon.Sampling.Storage;

namespace Biathlon.Experiments;

/// <summary>The flights-3m table (BTS on-time data, Jan–Jun 2001): built from Parquet once, then loaded from Arrow IPC.</summary>
internal static class FlightsTable
{
    /// <summary>Layouts: all flights by time; by origin; by destination; by route.</summary>
    public static readonly TableOptions Options = new()
    {
        Name = "flights",
        Partitions = 100,
        Seed = 0,
        TimeColumn = "date",
        Layouts =
        [
            new LayoutSpec("all", []),
            new LayoutSpec("by_origin", ["origin"]),
            new LayoutSpec("by_destination", ["destination"]),
            new LayoutSpec("by_route", ["origin", "destination"]),
        ],
    };

    /// <summary>Loads the saved table (memory-mapped), building and saving it first when missing.</summary>
    public static async Task<PartitionedTable> OpenAsync()
    {
        var folder = Path.Combine(RepositoryPaths.Tables, "flights");
        if (File.Exists(Path.Combine(folder, "table.json")))
        {
            var watch = Stopwatch.StartNew();
            var loaded = TableStore.Load(folder);
            Console.Error.WriteLine($"loaded {folder} (memory-mapped) in {watch.ElapsedMilliseconds} ms");
            return loaded;
        }

        var parquet = DatasetFetcher.Require("flights", "flights-3m.parquet");
        var total = Stopwatch.StartNew();
        var progress = new Progress<long>(rows => Console.Error.Write($"\rreading {Path.GetFileName(parquet)}: {rows:N0} rows"));
        var raw = await TableReader.ReadFileAsync(parquet, progress: progress);
        Console.Error.WriteLine($"\rread {raw.RowCount:N0} rows from {Path.GetFileName(parquet)} in {total.ElapsedMilliseconds} ms");
        var table = PartitionedTable.Build(raw, Options, new SynchronousProgress(line => Console.Error.WriteLine($"  {line}")));
        Console.Error.WriteLine($"built {table.Layouts.Count} layouts in {total.ElapsedMilliseconds} ms in all");
        TableStore.Save(table, folder);
        Console.Error.WriteLine($"saved to {folder}");
        return table;
    }

    /// <summary>Reports on the calling thread, so progress lines keep their order.</summary>
    private sealed class SynchronousProgress(Action<string> report) : IProgress<string>
    {
        public void Report(string value) => report(value);
    }
}
