using System.Runtime.InteropServices;
using Biathlon.Compute.Aggregates;
using Biathlon.Sampling.Aggregates.Offload;
using Biathlon.Sampling.Layouts;
using Biathlon.Sampling.Queries;

namespace Biathlon.Compute.Tests;

/// <summary>
/// What every aggregate executor must compute, checked against textbook answers: run by the SIMD CPU executor, the
/// GPU executor on ILGPU's CPU accelerator, and the GPU executor on CUDA (skipped without a GPU).
/// </summary>
public abstract class AggregateExecutorContract
{
    private readonly Backend _backend;

    private protected AggregateExecutorContract(Backend backend) => _backend = backend;

    private IAggregateExecutor Executor
    {
        get
        {
            Skip.If(_backend.Executor is null, _backend.Reason);
            return _backend.Executor!;
        }
    }

    [SkippableFact]
    public void An_empty_range_has_no_values_and_no_nulls()
    {
        var layout = TestTables.Main.GetLayout("all");
        var empty = new RowRange(5, 5);
        var jobs = Kinds(layout, 0, TestTables.X, TestTables.Y, empty);
        var results = Run(jobs);
        Assert.Equal(new PartialMoments(0, 0, 0, 0, 0, 0, double.NaN, double.NaN), results.Moments(0));
        Assert.Equal(0, results.SortedValues(1).Length);
        Assert.Equal(0, results.CoMoments(2).Count);
    }

    [SkippableFact]
    public void A_one_row_range_is_that_row()
    {
        var layout = TestTables.Main.GetLayout("all");
        var x = layout.Partition(3).Doubles(TestTables.X).ToArray();
        var row = Enumerable.Range(0, x.Length).First(r => !double.IsNaN(x[r]));
        var jobs = Kinds(layout, 3, TestTables.X, TestTables.Y, new RowRange(row, row + 1));
        var results = Run(jobs);
        var moments = results.Moments(0);
        Assert.Equal((1L, 0L, x[row], 0.0, x[row], x[row]), (moments.Count, moments.Nulls, moments.Mean, moments.M2, moments.Min, moments.Max));
        Assert.Equal([x[row]], results.SortedValues(1).ToArray());
        Reference.Check(jobs, results);
    }

    [SkippableFact]
    public void NaN_and_null_values_are_skipped_and_counted_as_nulls()
    {
        var layout = TestTables.Main.GetLayout("all");
        var jobs = new List<ColumnRangeJob>();
        for (var p = 0; p < 4; p++)
        {
            jobs.AddRange(Kinds(layout, p, TestTables.X, TestTables.Y, new RowRange(0, layout.PartitionRowCount(p))));
        }

        var results = Run(jobs);
        Assert.True(results.Moments(0).Nulls > 0, "the test partition should hold nulls");
        Reference.Check(jobs, results);
    }

    [SkippableFact]
    public void Ranges_of_every_partition_and_the_census_cover_the_column_once()
    {
        var layout = TestTables.Main.GetLayout("by_key");
        Assert.True(layout.HasCensus);
        var jobs = new List<ColumnRangeJob>();
        for (var p = 0; p <= layout.PartitionCount; p++)
        {
            jobs.AddRange(Kinds(layout, p, TestTables.X, TestTables.Y, new RowRange(0, layout.PartitionRowCount(p))));
        }

        var results = Run(jobs);
        Reference.Check(jobs, results);
        long rows = 0;
        for (var i = 0; i < jobs.Count; i += 3)
        {
            rows += results.Moments(i).Count + results.Moments(i).Nulls;
        }

        Assert.Equal(layout.RowCount, rows);
        Assert.True(results.Moments(jobs.Count - 3).Count > 0, "the census stratum should hold rows");
    }

    [SkippableFact]
    public void A_batch_mixes_jobs_of_several_cursors_and_tables_and_reuses_its_buffers()
    {
        var jobs = new List<ColumnRangeJob>();
        var main = TestTables.Main.GetLayout("by_key");
        var other = TestTables.Other.GetLayout("by_key");
        var all = TestTables.Other.GetLayout("all");

        // Three "requests": a group and window on each table, read as a cursor would (column jobs per range).
        void Request(Layout layout, string key, long from, long to, int partitions)
        {
            var predicate = layout.Bind(new RowPredicate { Keys = new Dictionary<string, object?> { ["key"] = key }, From = from, To = to });
            for (var p = 0; p < partitions; p++)
            {
                var range = layout.FindRange(predicate, p);
                jobs.Add(new ColumnRangeJob(layout, p, TestTables.N, -1, range, ColumnJobKind.Moments));
                jobs.Add(new ColumnRangeJob(layout, p, TestTables.S, -1, range, ColumnJobKind.SortedValues));
                jobs.AddRange(Kinds(layout, p, TestTables.Y, TestTables.X, range));
            }
        }

        Request(main, "a", 100, 3000, 6);
        Request(other, "b", 0, 1200, 8);
        Request(main, "c", 2000, 4000, 3);
        jobs.AddRange(Kinds(all, 2, TestTables.X, TestTables.N, new RowRange(10, 150)));
        var results = new ColumnJobResults();
        Executor.Execute(CollectionsMarshal.AsSpan(jobs), results);
        Reference.Check(jobs, results);

        // A smaller batch next, through the same (grown) buffers and results.
        var few = jobs.GetRange(7, 9);
        Executor.Execute(CollectionsMarshal.AsSpan(few), results);
        Reference.Check(few, results);
    }

    [SkippableFact]
    public void Int64_and_string_code_columns_read_nulls_as_NaN()
    {
        var layout = TestTables.Other.GetLayout("all");
        var jobs = new List<ColumnRangeJob>();
        for (var p = 0; p < layout.PartitionCount; p++)
        {
            var range = new RowRange(0, layout.PartitionRowCount(p));
            jobs.AddRange(Kinds(layout, p, TestTables.N, TestTables.S, range));
            jobs.AddRange(Kinds(layout, p, TestTables.S, TestTables.X, range));
        }

        var results = Run(jobs);
        Assert.True(results.Moments(0).Nulls > 0 && results.Moments(3).Nulls > 0, "the Int64 and string columns should hold nulls");
        Assert.All(results.SortedValues(4).ToArray(), v => Assert.True(v >= 0 && v < 40 && v == Math.Floor(v)));
        Reference.Check(jobs, results);
    }

    /// <summary>A moments, a sorted-values and a co-moment job on one range.</summary>
    private static List<ColumnRangeJob> Kinds(Layout layout, int partition, int x, int y, RowRange range) =>
    [
        new ColumnRangeJob(layout, partition, x, -1, range, ColumnJobKind.Moments),
        new ColumnRangeJob(layout, partition, x, -1, range, ColumnJobKind.SortedValues),
        new ColumnRangeJob(layout, partition, x, y, range, ColumnJobKind.CoMoments),
    ];

    private ColumnJobResults Run(List<ColumnRangeJob> jobs)
    {
        var results = new ColumnJobResults();
        Executor.Execute(CollectionsMarshal.AsSpan(jobs), results);
        return results;
    }
}

/// <summary>The contract on the SIMD CPU executor.</summary>
public sealed class SimdAggregateExecutorTests(SimdFixture fixture) : AggregateExecutorContract(fixture.Backend), IClassFixture<SimdFixture>;

/// <summary>The contract on the GPU executor run by ILGPU's CPU accelerator, and what only a device executor does.</summary>
public sealed class CpuSimulatorAggregateExecutorTests(CpuSimulatorFixture fixture)
    : AggregateExecutorContract(fixture.Backend), IClassFixture<CpuSimulatorFixture>
{
    [Fact]
    public void Groups_have_several_threads_so_the_tree_reductions_and_the_shared_sort_are_exercised()
    {
        var executor = (GpuAggregateExecutor)fixture.Backend.Executor!;
        Assert.InRange(executor.GroupSize, 4, AggregateKernels.MaxGroupSize);
        Assert.True(int.IsPow2(executor.GroupSize));
    }

    [Fact]
    public void A_column_not_uploaded_is_refused_before_any_launch()
    {
        var layout = TestTables.Main.GetLayout("all");
        ColumnRangeJob[] jobs = [new(layout, 0, TestTables.T, -1, new RowRange(0, 10), ColumnJobKind.Moments)];
        var used = fixture.Backend.Device!.Memory.Used;
        var error = Assert.Throws<ColumnNotResidentException>(() => fixture.Backend.Executor!.Execute(jobs, new ColumnJobResults()));
        Assert.Contains("'t'", error.Message, StringComparison.Ordinal);
        Assert.Equal(used, fixture.Backend.Device.Memory.Used);
        Assert.False(Monitor.IsEntered(fixture.Backend.Device.LaunchLock));
    }

    [Fact]
    public void The_column_store_counts_its_bytes_against_the_budget_and_keeps_its_columns_when_refused()
    {
        using var device = ComputeDeviceForBudget(64 * 1024);
        using var store = new DeviceColumnStore(device);
        var layout = TestTables.Other.GetLayout("all");
        store.Upload(layout, [TestTables.X]);
        Assert.Equal(layout.RowCount * sizeof(double), device.Memory.Used);
        Assert.Throws<Devices.DeviceMemoryException>(() => store.Upload(TestTables.Main.GetLayout("all"), [TestTables.X, TestTables.Y]));
        Assert.True(store.Contains(layout, TestTables.X));
        Assert.False(store.Contains(TestTables.Main.GetLayout("all"), TestTables.X));
        Assert.Equal(layout.RowCount * sizeof(double), device.Memory.Used);
    }

    [Fact]
    public void A_failed_launch_frees_its_buffers_and_holds_no_lock()
    {
        var layout = TestTables.Other.GetLayout("all");
        var columnBytes = layout.RowCount * sizeof(double);

        // Room for the column and the job record, not for the moments output: the launch fails mid-way.
        using var device = ComputeDeviceForBudget(columnBytes + 100);
        using var store = new DeviceColumnStore(device);
        store.Upload(layout, [TestTables.X]);
        using var executor = new GpuAggregateExecutor(device, store);
        ColumnRangeJob[] jobs = [new(layout, 0, TestTables.X, -1, new RowRange(0, 100), ColumnJobKind.Moments)];
        Assert.Throws<Devices.DeviceMemoryException>(() => executor.Execute(jobs, new ColumnJobResults()));
        Assert.Equal(columnBytes, device.Memory.Used);
        Assert.False(Monitor.IsEntered(device.LaunchLock));
    }

    private static Devices.ComputeDevice ComputeDeviceForBudget(long bytes) => Devices.ComputeDevice.CreateCpuSimulator(bytes);
}

/// <summary>The contract on the GPU executor on CUDA: skipped where ILGPU finds no CUDA device.</summary>
public sealed class CudaAggregateExecutorTests(CudaFixture fixture) : AggregateExecutorContract(fixture.Backend), IClassFixture<CudaFixture>;
