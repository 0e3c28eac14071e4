using System.Runtime.InteropServices;
using Biathlon.Compute.Aggregates;
using Biathlon.Sampling.Aggregates;
using Biathlon.Sampling.Aggregates.Offload;
using Biathlon.Sampling.Estimators;
using Biathlon.Sampling.Layouts;
using Biathlon.Sampling.Queries;

namespace Biathlon.Compute.Tests;

/// <summary>
/// A cursor widened through an executor (plan, execute, complete) estimates exactly what a cursor widened on the CPU
/// does: every aggregate kind, correlations, row counts, with and without a census, over several widenings and when
/// exact from the first read. Run on each executor.
/// </summary>
public abstract class CursorOffloadContract
{
    private static readonly AggregateSpec[] s_aggregates =
    [
        AggregateSpec.Count(), AggregateSpec.Count("x"), AggregateSpec.Sum("x"), AggregateSpec.Avg("x"), AggregateSpec.Var("x"),
        AggregateSpec.Std("x"), AggregateSpec.Min("x"), AggregateSpec.Max("x"), AggregateSpec.Median("x"),
        AggregateSpec.Percentile("y", 0.9), AggregateSpec.CountDistinct("s"), AggregateSpec.Avg("y"), AggregateSpec.Sum("n"),
        AggregateSpec.Min("n"), AggregateSpec.Max("n"), AggregateSpec.Std("y"),
    ];

    private readonly Backend _backend;

    private protected CursorOffloadContract(Backend backend) => _backend = backend;

    private IAggregateExecutor Executor
    {
        get
        {
            Skip.If(_backend.Executor is null, _backend.Reason);
            return _backend.Executor!;
        }
    }

    [SkippableTheory]
    [InlineData("main", "a", 200L, 3800L)]
    [InlineData("main", "b", 0L, 4000L)]
    [InlineData("other", "a", 100L, 1400L)]
    [InlineData("main", null, 0L, 4000L)]
    public void Widening_through_the_executor_equals_widening_on_the_cpu(string table, string? key, long from, long to)
    {
        // Without a key (layout "all") a partition's range holds about 200 rows: more than the extreme trackers keep.
        var executor = Executor;
        var layout = (table == "main" ? TestTables.Main : TestTables.Other).GetLayout(key is null ? "all" : "by_key");
        var predicate = Predicate(layout, key, from, to);
        using var cpu = layout.OpenCursor(predicate, s_aggregates, order: PartitionOrder.Shuffled(5));
        using var offloaded = layout.OpenCursor(predicate, s_aggregates, order: PartitionOrder.Shuffled(5));
        var total = layout.PartitionCount;
        foreach (var partitions in new[] { 2, 5, 5, total / 2 + 1, total })
        {
            cpu.WidenToPartitions(partitions);
            Offload(executor, [(offloaded, partitions)]);
            AssertSame(cpu, offloaded);
        }
    }

    [SkippableFact]
    public void A_cursor_exact_from_its_first_read_equals_the_cpu_one()
    {
        var executor = Executor;
        var layout = TestTables.Main.GetLayout("by_key");
        var predicate = Predicate(layout, "a", 0, 4000);
        using var cpu = layout.OpenCursor(predicate, s_aggregates, order: PartitionOrder.Shuffled(9));
        using var offloaded = layout.OpenCursor(predicate, s_aggregates, order: PartitionOrder.Shuffled(9));
        cpu.WidenToPartitions(layout.PartitionCount);
        Offload(executor, [(offloaded, layout.PartitionCount)]);
        Assert.True(offloaded.IsExact);
        AssertSame(cpu, offloaded);

        // Exact values are read in index order, so they are bit-identical whatever a request's partition order.
        using var reordered = layout.OpenCursor(predicate, s_aggregates, order: PartitionOrder.Shuffled(77));
        Offload(executor, [(reordered, layout.PartitionCount)]);
        for (var i = 0; i < s_aggregates.Length; i++)
        {
            Assert.Equal(offloaded.Estimate(i).Value, reordered.Estimate(i).Value);
        }

        // A restarted cursor plans afresh, census included.
        cpu.Restart(predicate, PartitionOrder.Shuffled(3));
        offloaded.Restart(predicate, PartitionOrder.Shuffled(3));
        cpu.WidenToPartitions(4);
        Offload(executor, [(offloaded, 4)]);
        AssertSame(cpu, offloaded);
    }

    [SkippableFact]
    public void One_batch_widens_cursors_of_several_requests_and_tables()
    {
        var executor = Executor;
        var main = TestTables.Main.GetLayout("by_key");
        var other = TestTables.Other.GetLayout("by_key");
        var all = TestTables.Main.GetLayout("all");
        var specs = new[] { Predicate(main, "a", 0, 2500), Predicate(main, "c", 1000, 4000), Predicate(other, "b", 0, 1500) };
        var cpu = new List<SampleCursor>();
        var offloaded = new List<SampleCursor>();
        try
        {
            for (var i = 0; i < specs.Length; i++)
            {
                cpu.Add(specs[i].Layout.OpenCursor(specs[i], s_aggregates, order: PartitionOrder.Shuffled((ulong)i)));
                offloaded.Add(specs[i].Layout.OpenCursor(specs[i], s_aggregates, order: PartitionOrder.Shuffled((ulong)i)));
            }

            var timeOnly = all.Bind(new RowPredicate { From = 1000, To = 1600 });
            cpu.Add(all.OpenCursor(timeOnly, [AggregateSpec.Avg("x"), AggregateSpec.Median("n")], order: PartitionOrder.Shuffled(4)));
            offloaded.Add(all.OpenCursor(timeOnly, [AggregateSpec.Avg("x"), AggregateSpec.Median("n")], order: PartitionOrder.Shuffled(4)));
            foreach (var step in new[] { 1, 3, 6 })
            {
                var batch = new List<(SampleCursor, int)>();
                for (var i = 0; i < cpu.Count; i++)
                {
                    var partitions = Math.Min(step + i, cpu[i].Predicate.Layout.PartitionCount);
                    cpu[i].WidenToPartitions(partitions);
                    batch.Add((offloaded[i], partitions));
                }

                Offload(executor, batch);
                for (var i = 0; i < cpu.Count; i++)
                {
                    AssertSame(cpu[i], offloaded[i]);
                }
            }
        }
        finally
        {
            cpu.ForEach(c => c.Dispose());
            offloaded.ForEach(c => c.Dispose());
        }
    }

    [SkippableFact]
    public void A_predicate_with_filters_stays_on_the_cpu_and_a_cpu_widening_drops_a_plan()
    {
        _ = Executor;
        var layout = TestTables.Main.GetLayout("by_key");
        var filtered = layout.Bind(new RowPredicate
        {
            Keys = new Dictionary<string, object?> { ["key"] = "a" },
            Filters = [new ColumnFilter("n", FilterOp.Greater, 0L)],
        });
        using var cursor = layout.OpenCursor(filtered, s_aggregates);
        var jobs = new List<ColumnRangeJob>();
        Assert.False(cursor.TryPlanWidening(3, jobs));
        Assert.Empty(jobs);

        using var plain = layout.OpenCursor(Predicate(layout, "a", 0, 4000), s_aggregates);
        Assert.True(plain.TryPlanWidening(3, jobs));
        Assert.NotEmpty(jobs);
        Assert.Equal(0, plain.PartitionsRead); // planning reads nothing
        plain.WidenToPartitions(3);
        Assert.Throws<InvalidOperationException>(() => plain.CompleteWidening(3, new ColumnJobResults(), 0));
    }

    private static BoundPredicate Predicate(Layout layout, string? key, long from, long to) => layout.Bind(new RowPredicate
    {
        Keys = key is null ? new Dictionary<string, object?>() : new Dictionary<string, object?> { ["key"] = key },
        From = from,
        To = to,
    });

    /// <summary>Plans every cursor's widening into one job list, runs it as one batch, and hands each cursor its slice.</summary>
    private static void Offload(IAggregateExecutor executor, List<(SampleCursor Cursor, int Partitions)> widenings)
    {
        var jobs = new List<ColumnRangeJob>();
        var firsts = new int[widenings.Count];
        for (var i = 0; i < widenings.Count; i++)
        {
            firsts[i] = jobs.Count;
            Assert.True(widenings[i].Cursor.TryPlanWidening(widenings[i].Partitions, jobs));
        }

        var results = new ColumnJobResults();
        executor.Execute(CollectionsMarshal.AsSpan(jobs), results);
        for (var i = 0; i < widenings.Count; i++)
        {
            widenings[i].Cursor.CompleteWidening(widenings[i].Partitions, results, firsts[i]);
        }
    }

    private static void AssertSame(SampleCursor expected, SampleCursor actual)
    {
        Assert.Equal(expected.PartitionsRead, actual.PartitionsRead);
        Assert.Equal(expected.RowsScanned, actual.RowsScanned);
        Assert.Equal(expected.RowsMatched, actual.RowsMatched);
        Assert.Equal(expected.IsExact, actual.IsExact);
        var count = expected.Aggregates.Count;
        for (var i = 0; i < count; i++)
        {
            var spec = expected.Aggregates[i];
            FeatureEstimate e = expected.Estimate(i), a = actual.Estimate(i);
            var what = $"{spec.Op}({spec.Column})";
            Assert.Equal(e.Error, a.Error);
            Assert.Equal(e.SampleRows, a.SampleRows);
            Assert.Equal(e.NullsSkipped, a.NullsSkipped);
            Reference.Near(e.Value, a.Value, 1e-9, 1e-9, what);
            Reference.Near(e.StdError, a.StdError, 1e-7, 1e-12, what + " std error");
            Reference.Near(e.Low, a.Low, 1e-7, Math.Abs(e.Value) + 1e-9, what + " low");
            Reference.Near(e.High, a.High, 1e-7, Math.Abs(e.Value) + 1e-9, what + " high");
            Assert.Equal(e.Distribution.Length, a.Distribution.Length);
            for (var k = 0; k < e.Distribution.Length; k++)
            {
                Reference.Near(e.Distribution.Span[k], a.Distribution.Span[k], 1e-9, Math.Abs(e.Value) + 1e-9, what + " distribution");
            }

            for (var j = i + 1; j < count; j++)
            {
                var r = expected.Correlation(i, j);
                Assert.True(Math.Abs(r - actual.Correlation(i, j)) <= 1e-9, $"correlation of {what} and aggregate {j}: {r} vs {actual.Correlation(i, j)}");
            }
        }
    }
}

/// <summary>The cursor contract through the SIMD CPU executor.</summary>
public sealed class SimdCursorOffloadTests(SimdFixture fixture) : CursorOffloadContract(fixture.Backend), IClassFixture<SimdFixture>;

/// <summary>The cursor contract through the GPU executor on ILGPU's CPU accelerator.</summary>
public sealed class CpuSimulatorCursorOffloadTests(CpuSimulatorFixture fixture) : CursorOffloadContract(fixture.Backend), IClassFixture<CpuSimulatorFixture>;

/// <summary>The cursor contract through the GPU executor on CUDA: skipped where ILGPU finds no CUDA device.</summary>
public sealed class CudaCursorOffloadTests(CudaFixture fixture) : CursorOffloadContract(fixture.Backend), IClassFixture<CudaFixture>;
