using System.Diagnostics;
using Biathlon.Sampling.Ingest;
using Biathlon.Sampling.Layouts;
using Biathlon.Sampling.Queries;
using Biathlon.Sampling.Schema;

namespace Biathlon.Benchmarks;

// The real flights-3m data (BTS on-time records, Jan-Jun 2001; 5 columns: date, delay, distance, origin, destination)
// and the request-like predicates the cursor and range benchmarks use. Shared so every benchmark reads the same table.
internal static class FlightsData
{
    public const string Origin = "ORD";

    // Table layouts as a serving deployment would declare them: every flight by time, and flights by origin.
    public static readonly TableOptions Options = new()
    {
        Name = "flights",
        Partitions = 100,
        Seed = 0,
        TimeColumn = "date",
        Layouts = [new LayoutSpec("all", []), new LayoutSpec("by_origin", ["origin"])],
    };

    // A 30-day window ending on (and including) 2001-03-15: [2001-02-14, 2001-03-16).
    public static readonly long WindowTo = TimeValue.FromDateTime(new DateTime(2001, 3, 16));
    public static readonly long WindowFrom = WindowTo - (30 * TimeValue.MicrosPerDay);

    private static readonly Lazy<string> s_root = new(FindRoot);
    private static readonly Lazy<PartitionedTable> s_table = new(BuildTable);

    public static string Root => s_root.Value;

    // data/real/flights-3m.parquet under the repository root; runs the pinned fetch script when it is missing.
    public static string ParquetPath()
    {
        var path = Path.Combine(Root, "data", "real", "flights-3m.parquet");
        if (File.Exists(path))
        {
            return path;
        }

        Fetch("flights");
        return File.Exists(path) ? path : throw new InvalidOperationException($"{path} is missing after fetching 'flights'.");
    }

    // Runs the pinned, checksummed fetch script for one dataset set (flights, sensors or r) into data/real.
    public static void Fetch(string set)
    {
        Console.Error.WriteLine($"dataset '{set}' is missing; running scripts/fetch-datasets.sh {set} ...");
        var start = new ProcessStartInfo("bash") { UseShellExecute = false, WorkingDirectory = Root };
        start.ArgumentList.Add(Path.Combine(Root, "scripts", "fetch-datasets.sh"));
        start.ArgumentList.Add(set);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start bash.");
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"scripts/fetch-datasets.sh {set} failed (exit {process.ExitCode}).");
        }
    }

    // The table, built once per process and shared by the benchmarks that only read it (never disposed: it lives as long
    // as the process). A benchmark process runs one benchmark case, except in-process runs (the dry run), where sharing
    // saves building it for every case.
    public static PartitionedTable Table => s_table.Value;

    public static PartitionedTable BuildTable() =>
        PartitionedTable.Build(TableReader.ReadFileAsync(ParquetPath()).GetAwaiter().GetResult(), Options);

    // Origin = ORD within the 30-day window (layout by_origin).
    public static RowPredicate OriginWindow() => new()
    {
        Keys = new Dictionary<string, object?> { ["origin"] = Origin },
        From = WindowFrom,
        To = WindowTo,
    };

    // Every flight within the 30-day window (layout all).
    public static RowPredicate AllWindow() => new() { From = WindowFrom, To = WindowTo };

    // The nearest folder holding Biathlon.sln above the working directory or the binary. BenchmarkDotNet runs each
    // benchmark in a child process built under this project's bin folder, so the binary's path finds it too.
    private static string FindRoot()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Biathlon.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        throw new InvalidOperationException("Cannot find the repository root (a folder holding Biathlon.sln); run from inside the repository.");
    }
}
