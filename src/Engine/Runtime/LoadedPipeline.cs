using System.Collections.Concurrent;
using System.Diagnostics;
using Biathlon.Engine.Compute;
using Biathlon.Engine.Models;
using Biathlon.Engine.Specs;
using Biathlon.Planner.Propagation;
using Biathlon.Sampling.Estimators;
using Biathlon.Sampling.Layouts;

namespace Biathlon.Engine.Runtime;

/// <summary>
/// Everything a pipeline needs to serve, built once at load and read-only afterwards: its tables, its queries bound to
/// their layouts, the model evaluator, the cost statistics and a pool of request contexts. Requests run on it through
/// <see cref="RequestLoop"/>; it owns (and disposes) the tables, the model and the pooled contexts.
/// </summary>
internal sealed class LoadedPipeline : IDisposable
{
    private readonly ConcurrentBag<RequestContext> _contexts = [];

    public LoadedPipeline(PipelineDefinition definition, Dictionary<string, PartitionedTable> tables, CompiledQuery[] queries, LoadedModel? model, double delta, PipelineCompute? compute = null)
    {
        Compute = compute ?? PipelineCompute.Cpu(definition.Name, "forced");
        Definition = definition;
        Tables = tables;
        Queries = queries;
        Model = model;
        Delta = delta;
        Partitions = definition.Tables[0].Partitions;
        var requestGroup = queries.Length;
        GroupOfInput = new int[definition.Inputs.Count];
        for (var i = 0; i < GroupOfInput.Length; i++)
        {
            var input = definition.Inputs[i];
            GroupOfInput[i] = input.Query >= 0 ? input.Query : requestGroup;
        }

        RequestInputs = new RequestInputs(definition);
        var sources = new List<Sampling.Sources.PartitionSource>();
        foreach (var query in queries)
        {
            if (query.Table.Source is { } source && !sources.Contains(source))
            {
                sources.Add(source);
            }
        }

        RemoteSources = [.. sources];
        foreach (var (name, table) in tables)
        {
            if (table.Source is { } source)
            {
                Diagnostics.StoreIndexAges.Register(this, definition.Name, name, source);
                _ = Diagnostics.EngineInstruments.StoreIndexAge; // the gauge exists once a remote table does
            }
        }

        var planner = definition.Planner;
        EstimatorOptions = new EstimatorOptions(minSupport: planner.MinSupport);
        PropagationOptions = new PropagationOptions(baseSamples: planner.BaseSamples);
        Costs = new CostStatistics(queries.Length);
        if (CostProfile.Load(Path.Combine(definition.Folder, CostProfile.FileName)) is { } profile)
        {
            for (var q = 0; q < queries.Length; q++)
            {
                foreach (var cost in profile.Queries)
                {
                    if (cost.Name == queries[q].Definition.Name)
                    {
                        Costs.SeedSecondsPerRow(q, cost.SecondsPerRow);
                        break;
                    }
                }
            }
        }

        if (model is not null)
        {
            CalibrateModelCosts(model.Model);
        }
    }

    /// <summary>The Redis store the pipeline's Redis tables were opened from; null when it has none.</summary>
    public Biathlon.Redis.RedisTableStore? RedisStore { get; init; }

    /// <summary>The stores the remote tables' rows come from (empty when every table is in process).</summary>
    public Sampling.Sources.PartitionSource[] RemoteSources { get; }

    /// <summary>The validated spec.</summary>
    public PipelineDefinition Definition { get; }

    /// <summary>The tables some query reads, by name.</summary>
    public IReadOnlyDictionary<string, PartitionedTable> Tables { get; }

    /// <summary>The feature queries, bound to their layouts (keys encoded and constant filters compiled once).</summary>
    public CompiledQuery[] Queries { get; }

    /// <summary>The model evaluator (native or ONNX Runtime); null when loaded without a model.</summary>
    public LoadedModel? Model { get; }

    /// <summary>The compute backend: the device (if any), what runs on it, and the fallback rule.</summary>
    public PipelineCompute Compute { get; }

    /// <summary>δ in force: the spec's, or the model metadata value it names; NaN when each request gives its own (<c>bound.deltaField</c>).</summary>
    public double Delta { get; }

    /// <summary>The request's own model inputs and δ, computed once per request.</summary>
    public RequestInputs RequestInputs { get; }

    /// <summary>The partition count P shared by every table (the planner's 1/P grid).</summary>
    public int Partitions { get; }

    /// <summary>Each model input's propagation group: its query, or one group for all request fields (index = query count).</summary>
    public int[] GroupOfInput { get; }

    public EstimatorOptions EstimatorOptions { get; }

    public PropagationOptions PropagationOptions { get; }

    /// <summary>Measured costs behind the exact shortcut and the plan; updated by every request without locks.</summary>
    public CostStatistics Costs { get; }

    /// <summary>A pooled request context (cursors included), or a new one.</summary>
    public RequestContext RentContext() =>
        _contexts.TryTake(out var context)
            ? context
            : new RequestContext(
                Definition.Request, Queries.Length, Definition.Inputs.Count, GroupOfInput, PropagationOptions, Definition.Planner.Policy, Definition.Planner.Seed,
                RequestInputs.Categoricals);

    /// <summary>
    /// Parses <paramref name="request"/> into the context (fills applied), computes its own model inputs and checks its
    /// δ: everything a request is refused for before any query is bound. Throws <see cref="RequestException"/>.
    /// </summary>
    public RequestValues ReadRequest(RequestContext context, IReadOnlyDictionary<string, object?> request)
    {
        var values = context.Values.Read(request);
        RequestInputs.Compute(values, context.RequestInputValues, context.CategoryCodes);
        return values;
    }

    /// <summary>Pools the context with its cursors: the next request restarts them (<see cref="RequestContext.OpenCursor"/>).</summary>
    public void ReturnContext(RequestContext context) => _contexts.Add(context);

    /// <inheritdoc />
    public void Dispose()
    {
        while (_contexts.TryTake(out var context))
        {
            context.Dispose();
        }

        Model?.Dispose();
        Compute.Dispose();
        foreach (var (name, table) in Tables)
        {
            Diagnostics.StoreIndexAges.Unregister(this, name);
            table.Dispose();
        }
    }

    /// <summary>
    /// Times the model on a QMC-sized batch and on one row (after a warm-up call each, which also pays ONNX Runtime's
    /// first-run costs before any request does), so cost decisions start from measured numbers, not from a cold call.
    /// </summary>
    private void CalibrateModelCosts(IBatchModel model)
    {
        var inputs = Definition.Inputs.Count;
        var groups = 0;
        foreach (var group in GroupOfInput)
        {
            groups = Math.Max(groups, group + 1);
        }

        var rows = PropagationOptions.BaseSamples * (groups + 2);
        var batch = new float[rows * inputs];
        var outputs = new float[rows];
        double Time(int count)
        {
            model.Evaluate(batch, count, outputs);
            var best = double.MaxValue;
            for (var i = 0; i < 3; i++)
            {
                var start = Stopwatch.GetTimestamp();
                model.Evaluate(batch, count, outputs);
                best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalSeconds);
            }

            return best;
        }

        Costs.Calibrate(Time(rows), Time(1));
    }
}
