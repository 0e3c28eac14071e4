using Biathlon.Compute.Aggregates;
using Biathlon.Compute.Batching;
using Biathlon.Compute.Devices;
using Biathlon.Engine.Diagnostics;
using Biathlon.Engine.Runtime;
using Biathlon.Sampling.Aggregates;
using Biathlon.Sampling.Aggregates.Offload;

namespace Biathlon.Engine.Compute;

/// <summary>
/// A pipeline's sampled aggregates on the device: the columns its queries read, uploaded once at load
/// (<see cref="DeviceColumnStore"/>), and the batcher that gathers concurrent requests' widenings into one
/// <see cref="GpuAggregateExecutor.Execute"/>. A request plans every query's widening as jobs
/// (<see cref="SampleCursor.TryPlanWidening"/>), submits them together, and its cursors merge their results
/// (<see cref="SampleCursor.CompleteWidening"/>): the batch's leader merges them, while their requests wait. A query
/// with extra filters, and every query of a request whose launch failed, widens on the CPU. Thread-safe.
/// </summary>
internal sealed class DeviceAggregates : IDisposable
{
    private readonly DeviceColumnStore _store;
    private readonly GpuAggregateExecutor _executor;
    private readonly LaunchBatcher<AggregateLaunch> _batcher;
    private readonly PipelineCompute _owner;
    private readonly List<ColumnRangeJob> _jobs = [];
    private readonly ColumnJobResults _results = new();

    private DeviceAggregates(DeviceColumnStore store, GpuAggregateExecutor executor, PipelineCompute owner, TimeSpan batchWait, string pipeline)
    {
        _store = store;
        _executor = executor;
        _owner = owner;
        _batcher = new LaunchBatcher<AggregateLaunch>(Launch, batchWait, maxItems: 256)
        {
            Launched = n => EngineInstruments.ComputeBatchSize.Record(n, new System.Diagnostics.TagList { { "pipeline", pipeline }, { "stage", "aggregates" } }),
        };
    }

    /// <summary>
    /// Uploads the columns <paramref name="queries"/> aggregate, or returns null with the reason when the device memory
    /// budget refuses them (the pipeline's aggregates then run on the CPU).
    /// </summary>
    public static DeviceAggregates? TryCreate(ComputeDevice device, CompiledQuery[] queries, PipelineCompute owner, TimeSpan batchWait, string pipeline, out string reason)
    {
        var store = new DeviceColumnStore(device);
        try
        {
            var byLayout = new Dictionary<Sampling.Layouts.Layout, HashSet<int>>();
            foreach (var query in queries)
            {
                var schema = query.Layout.Table.Schema;
                if (!byLayout.TryGetValue(query.Layout, out var ordinals))
                {
                    byLayout[query.Layout] = ordinals = [];
                }

                foreach (var aggregate in query.Aggregates)
                {
                    if (aggregate.Column is { } column)
                    {
                        ordinals.Add(schema.Ordinal(column));
                    }
                }
            }

            foreach (var (layout, ordinals) in byLayout)
            {
                if (ordinals.Count > 0)
                {
                    store.Upload(layout, ordinals);
                }
            }

            reason = "";
            return new DeviceAggregates(store, new GpuAggregateExecutor(device, store), owner, batchWait, pipeline);
        }
        catch (DeviceMemoryException e)
        {
            store.Dispose();
            reason = $"the device memory budget refused the queries' columns: {e.Message}";
            return null;
        }
        catch
        {
            store.Dispose(); // a device error: the caller falls back; nothing stays reserved
            throw;
        }
    }

    public void Enter() => _batcher.Enter();

    public void Exit() => _batcher.Exit();

    /// <summary>
    /// Widens every cursor of <paramref name="context"/> to its plan: through the device where it can, else on the CPU.
    /// Records in the request's <see cref="RequestComputeUse"/> whether the device took part, or why it fell back.
    /// </summary>
    public void Widen(RequestContext context, int queries)
    {
        var launch = context.AggregateLaunch;
        launch.Clear();
        for (var q = 0; q < queries; q++)
        {
            var cursor = context.Cursors[q];
            var target = context.Plan[q];
            if (target <= cursor.PartitionsRead)
            {
                continue;
            }

            var first = launch.Jobs.Count;
            if (cursor.TryPlanWidening(target, launch.Jobs))
            {
                launch.Entries.Add(new PlannedCursor(cursor, target, first));
            }
            else
            {
                cursor.WidenToPartitions(target);
            }
        }

        if (launch.Entries.Count == 0)
        {
            return;
        }

        try
        {
            _batcher.Submit(launch);
            context.ComputeUse.Aggregates = true;
        }
#pragma warning disable CA1031 // any device error: this request's cursors widen on the CPU, and the fallback is counted and logged
        catch (Exception e)
#pragma warning restore CA1031
        {
            context.ComputeUse.FellBack(_owner.Fallback("aggregates", e));
            foreach (var entry in launch.Entries)
            {
                entry.Cursor.WidenToPartitions(entry.Partitions); // drops the pending plan; merges nothing twice
            }
        }
        finally
        {
            launch.Clear();
        }
    }

    public void Dispose()
    {
        _executor.Dispose();
        _store.Dispose();
    }

    // Runs on the batch leader's thread while every other submitter waits: their cursors are safe to merge into here.
    private void Launch(List<AggregateLaunch> items)
    {
        _jobs.Clear();
        foreach (var item in items)
        {
            item.Offset = _jobs.Count;
            _jobs.AddRange(item.Jobs);
        }

        _executor.Execute(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_jobs), _results);
        foreach (var item in items)
        {
            foreach (var entry in item.Entries)
            {
                entry.Cursor.CompleteWidening(entry.Partitions, _results, item.Offset + entry.FirstJob);
            }
        }

        _jobs.Clear();
    }
}

/// <summary>One request's widening jobs for the batcher (one per request context, reused).</summary>
internal sealed class AggregateLaunch
{
    public List<ColumnRangeJob> Jobs { get; } = [];

    public List<PlannedCursor> Entries { get; } = [];

    /// <summary>Where this request's jobs start in the batch (set by the launch).</summary>
    public int Offset { get; set; }

    public void Clear()
    {
        Jobs.Clear();
        Entries.Clear();
    }
}

/// <summary>A cursor whose widening to <paramref name="Partitions"/> was planned as jobs from <paramref name="FirstJob"/> on.</summary>
internal readonly record struct PlannedCursor(SampleCursor Cursor, int Partitions, int FirstJob);
