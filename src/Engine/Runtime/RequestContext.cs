using Biathlon.Engine.Specs;
using Biathlon.Planner.Planning;
using Biathlon.Planner.Propagation;
using Biathlon.Sampling.Aggregates;
using Biathlon.Sampling.Estimators;
using Biathlon.Sampling.Layouts;

namespace Biathlon.Engine.Runtime;

/// <summary>
/// The per-request working state of one pipeline (parsed request, cursors with their predicates, plan, feature
/// estimates, a propagator, a policy). Pooled and reused, cursors included: after warm-up the request path allocates
/// nothing of its own but the result.
/// </summary>
internal sealed class RequestContext : IDisposable
{
    public RequestContext(
        IReadOnlyList<RequestFieldDefinition> request, int queries, int inputs, int[] groupOfInput, PropagationOptions propagation, string policy, ulong seed,
        int categoricals)
    {
        Values = new RequestValues(request);
        RequestInputValues = new double[inputs];
        CategoryCodes = new int[categoricals];
        Cursors = new SampleCursor[queries];
        EstimatedRows = new long[queries];
        Plan = new int[queries];
        States = new QueryPlanState[queries];
        QueryTicks = new long[queries];
        Features = new FeatureEstimate[inputs];
        Correlations = new double[inputs * inputs];
        Reasons = new PlanReason[queries];
        FirstOrder = new double[queries + 1];
        ExactReasons = new ExactReason[queries];
        Row = new float[inputs];
        Output = new float[1];
        Propagator = new UncertaintyPropagator(groupOfInput, propagation);
        Policy = policy switch
        {
            "uniform" => new UniformPlanPolicy(),
            "random" => new RandomPlanPolicy(seed),
            _ => new SensitivityPlanPolicy(),
        };
    }

    /// <summary>What of the request ran on the device (reset per request).</summary>
    public Compute.RequestComputeUse ComputeUse { get; } = new();

    /// <summary>The snapshot of each remote table's indexes this request reads by (cleared per request).</summary>
    public Dictionary<Sampling.Layouts.PartitionedTable, Sampling.Sources.RemoteLayoutIndex[]> PinnedIndexes { get; } = [];

    /// <summary>The request's snapshot of <paramref name="table"/>'s indexes: taken at its first use in the request.</summary>
    public Sampling.Sources.RemoteLayoutIndex[] RemoteIndexes(Sampling.Layouts.PartitionedTable table)
    {
        if (!PinnedIndexes.TryGetValue(table, out var indexes))
        {
            PinnedIndexes[table] = indexes = table.RemoteIndexes!;
        }

        return indexes;
    }

    /// <summary>The round's widenings of remote cursors, fetched together, and the request's fetch totals (reused).</summary>
    public Sampling.Sources.FetchBatch Fetch { get; } = new();

    /// <summary>The request's widening jobs for the device (reused).</summary>
    public Compute.AggregateLaunch AggregateLaunch { get; } = new();

    /// <summary>The model as this context evaluates it on the device (created on first use; null until then).</summary>
    public IBatchModel? DeviceModel { get; set; }

    /// <summary>The request being served, parsed (overwritten by the next).</summary>
    public RequestValues Values { get; }

    /// <summary>The request's own model inputs (request features, one-hot columns included), by input index; aggregates' slots unused.</summary>
    public double[] RequestInputValues { get; }

    /// <summary>Scratch: each categorical feature's code for the request.</summary>
    public int[] CategoryCodes { get; }

    /// <summary>Query q's cursor, set by <see cref="OpenCursor"/> and kept for the next request (null until the first).</summary>
    public SampleCursor[] Cursors { get; }

    public long[] EstimatedRows { get; }

    public int[] Plan { get; }

    public QueryPlanState[] States { get; }

    public long[] QueryTicks { get; }

    public FeatureEstimate[] Features { get; }

    /// <summary>D × D correlations of the features' errors, within each query (from its sample).</summary>
    public double[] Correlations { get; }

    /// <summary>S1 per group of this request's last propagated round (queries, then the request fields' group).</summary>
    public double[] FirstOrder { get; }

    /// <summary>Why the last plan changed each query.</summary>
    public PlanReason[] Reasons { get; }

    /// <summary>Why each query is (or became) exact.</summary>
    public ExactReason[] ExactReasons { get; }

    public float[] Row { get; }

    public float[] Output { get; }

    public UncertaintyPropagator Propagator { get; }

    public IPlanPolicy Policy { get; }

    /// <summary>
    /// Query <paramref name="q"/>'s cursor for this request, positioned before its first read: the pooled cursor
    /// restarted on its own predicate re-targeted to <paramref name="values"/>, or, the first time, a new one.
    /// </summary>
    public SampleCursor OpenCursor(int q, CompiledQuery query, RequestValues values, EstimatorOptions options, PartitionOrder order)
    {
        var cursor = Cursors[q];

        // The previous request is over, so no cursor reads the old predicate: it is re-targeted in place.
        var predicate = query.Bind(values, cursor?.Predicate);
        if (cursor is null)
        {
            return Cursors[q] = query.Layout.OpenCursor(predicate, query.Aggregates, options, order);
        }

        cursor.Restart(predicate, order);
        return cursor;
    }

    /// <summary>Returns the cursors' pooled buffers (the engine is disposed).</summary>
    public void Dispose()
    {
        foreach (var cursor in Cursors)
        {
            cursor?.Dispose();
        }

        Array.Clear(Cursors);
    }
}
