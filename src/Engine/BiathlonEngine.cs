using System.Collections.Concurrent;
using System.Globalization;
using Biathlon.Engine.Models;
using Biathlon.Engine.Runtime;
using Biathlon.Planner;
using Biathlon.Sampling;

namespace Biathlon.Engine;

/// <summary>
/// Serves one pipeline: loads its spec, tables (cached as Arrow IPC) and ONNX model once, then answers
/// <see cref="Predict"/> (approximate, bounded) and <see cref="PredictExact"/> over the same code path. Thread-safe:
/// one instance serves concurrent requests.
/// </summary>
/// <example>
/// <code>
/// using var engine = await BiathlonEngine.LoadAsync("pipelines/flight-delay");
/// var result = engine.Predict(new Dictionary&lt;string, object?&gt;
/// {
///     ["origin"] = "ORD", ["destination"] = "LGA", ["distance"] = 733, ["departure"] = new DateTime(2001, 6, 12, 17, 5, 0),
/// });
/// Console.WriteLine($"{result.Value:F1} ± {result.Delta:F1} with confidence {result.Confidence:P0}");
/// </code>
/// </example>
public sealed partial class BiathlonEngine : IDisposable
{
    private readonly Dictionary<string, PartitionedTable> _tables;
    private readonly CompiledQuery[] _queries;
    private readonly LoadedModel? _model;
    private readonly int[] _groupOfInput;
    private readonly EstimatorOptions _estimatorOptions;
    private readonly PropagationOptions _propagationOptions;
    private readonly ConcurrentBag<RequestContext> _contexts = [];
    private readonly CostStatistics _costs;
    private readonly int _partitions;

    private BiathlonEngine(PipelineDefinition definition, Dictionary<string, PartitionedTable> tables, CompiledQuery[] queries, LoadedModel? model, double delta)
    {
        Definition = definition;
        _tables = tables;
        _queries = queries;
        _model = model;
        Delta = delta;
        _partitions = definition.Tables[0].Partitions;
        var requestGroup = queries.Length;
        _groupOfInput = definition.Inputs.Select(i => i.Query >= 0 ? i.Query : requestGroup).ToArray();
        var planner = definition.Planner;
        _estimatorOptions = new EstimatorOptions(minSupport: planner.MinSupport);
        _propagationOptions = new PropagationOptions(baseSamples: planner.BaseSamples);
        _costs = new CostStatistics(queries.Length);
        if (CostProfile.Load(Path.Combine(definition.Folder, CostProfile.FileName)) is { } profile)
        {
            for (var q = 0; q < queries.Length; q++)
            {
                if (profile.Queries.FirstOrDefault(c => c.Name == queries[q].Definition.Name) is { } cost)
                {
                    _costs.SeedSecondsPerRow(q, cost.SecondsPerRow);
                }
            }
        }

        if (model is not null)
        {
            CalibrateModelCosts(model.Model);
        }
    }

    /// <summary>The validated pipeline spec.</summary>
    public PipelineDefinition Definition { get; }

    /// <summary>δ in force: the spec's, or the model metadata value it names.</summary>
    public double Delta { get; }

    /// <summary>Model input names, in column order.</summary>
    public IReadOnlyList<string> InputNames => Definition.Inputs.Select(i => i.Name).ToArray();

    /// <summary>True when a model is loaded (false with <see cref="EngineOptions.LoadModel"/> off).</summary>
    public bool HasModel => _model is not null;

    /// <summary>The runtime evaluating the model (<see cref="Models.ModelRuntime.Native"/> or <see cref="Models.ModelRuntime.OnnxRuntime"/>); null without a model.</summary>
    public Models.ModelRuntime? ModelRuntime => _model?.Runtime;

    /// <summary>What evaluates the model, for logs: the native program's shape, or ONNX Runtime and why the native evaluator does not apply.</summary>
    public string? ModelDescription => _model?.Description;

    /// <summary>
    /// Loads a pipeline folder (or spec file). Throws <see cref="PipelineSpecException"/> naming the spec file and
    /// JSON path for any bad reference (including column types found in the data and a model whose input width
    /// differs from the inputs), and <see cref="DataSourceException"/> for unreadable data files.
    /// </summary>
    public static async Task<BiathlonEngine> LoadAsync(string pipeline, EngineOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new EngineOptions();
        var definition = PipelineSpecLoader.Load(pipeline, options.DataDirectory);
        if (options.TableSeed is { } tableSeed)
        {
            definition = definition with { Tables = definition.Tables.Select(t => t with { Seed = tableSeed }).ToArray() };
        }

        var file = definition.SpecFile;
        for (var t = 1; t < definition.Tables.Count; t++)
        {
            if (definition.Tables[t].Partitions != definition.Tables[0].Partitions)
            {
                throw new PipelineSpecException(file, $"{definition.Tables[t].JsonPath}.partitions",
                    "every table of a pipeline needs the same partition count: the planner works on one 1/P grid.");
            }
        }

        var cache = options.CacheDirectory ?? Path.Combine(definition.Folder, ".cache");
        var tables = new Dictionary<string, PartitionedTable>(StringComparer.Ordinal);
        var queries = new CompiledQuery[definition.Queries.Count];
        LoadedModel? model = null;
        try
        {
            foreach (var table in definition.Tables)
            {
                var layouts = LayoutsFor(definition, table.Name);
                if (layouts.Count == 0)
                {
                    continue; // no query reads it
                }

                try
                {
                    tables[table.Name] = await TableCache.OpenAsync(table, layouts, CensusColumnsFor(definition, table), cache, options.Progress, cancellationToken)
                        .ConfigureAwait(false);
                }
                catch (SchemaException e) when (table.Census.Columns?.Contains(e.Column) == true)
                {
                    throw new PipelineSpecException(file, $"{table.JsonPath}.census.columns", e.Message, e);
                }
                catch (SchemaException e) when (table.TimeColumn is not null && e.Column == table.TimeColumn)
                {
                    throw new PipelineSpecException(file, $"{table.JsonPath}.timeColumn", e.Message, e);
                }
                catch (SchemaException e) when (definition.Queries.FirstOrDefault(q => q.Table == table.Name && q.Keys.Any(k => k.Key == e.Column)) is { } query)
                {
                    // A layout keyed by a column the table lacks: report it at the query key that asked for it.
                    throw new PipelineSpecException(file, $"{query.JsonPath}.keys.{e.Column}", e.Message, e);
                }
            }

            for (var q = 0; q < queries.Length; q++)
            {
                var query = definition.Queries[q];
                var table = tables[query.Table];
                SpecDataChecks.Check(definition, query, table);
                try
                {
                    queries[q] = new CompiledQuery(query, table, table.FindLayout(query.Keys.Select(k => k.Key).ToArray()), definition.Request);
                }
                catch (Exception e) when (e is SchemaException or QueryException)
                {
                    // Constant filters are compiled here, once: one that cannot apply to its column fails the load.
                    throw new PipelineSpecException(file, $"{query.JsonPath}.filters", e.Message, e);
                }
            }

            double delta = definition.Bound.Delta ?? 0;
            if (options.LoadModel)
            {
                model = LoadModel(definition, options.Progress);
                if (definition.Bound.DeltaMetadata is { } key)
                {
                    if (!model.Metadata.TryGetValue(key, out var text)
                        || !double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out delta) || !(delta >= 0))
                    {
                        throw new PipelineSpecException(file, "$.bound.deltaMetadata", $"model '{definition.ModelFile}' has no non-negative number in metadata entry '{key}'.");
                    }
                }
            }

            return new BiathlonEngine(definition, tables, queries, model, delta);
        }
        catch
        {
            model?.Dispose();
            foreach (var table in tables.Values)
            {
                table.Dispose();
            }

            throw;
        }
    }

    /// <summary>A loaded table, for harnesses that draw requests from the data.</summary>
    public PartitionedTable GetTable(string name) =>
        _tables.TryGetValue(name, out var table) ? table : throw new QueryException(name, $"Pipeline '{Definition.Name}' has no loaded table '{name}'.");

    /// <inheritdoc />
    public void Dispose()
    {
        while (_contexts.TryTake(out var context))
        {
            context.Dispose();
        }

        _model?.Dispose();
        foreach (var table in _tables.Values)
        {
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
        var rows = _propagationOptions.BaseSamples * (_groupOfInput.Max() + 3);
        var batch = new float[rows * inputs];
        var outputs = new float[rows];
        double Time(int count)
        {
            model.Evaluate(batch, count, outputs);
            var best = double.MaxValue;
            for (var i = 0; i < 3; i++)
            {
                var start = System.Diagnostics.Stopwatch.GetTimestamp();
                model.Evaluate(batch, count, outputs);
                best = Math.Min(best, System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalSeconds);
            }

            return best;
        }

        _costs.Calibrate(Time(rows), Time(1));
    }

    private static LoadedModel LoadModel(PipelineDefinition definition, IProgress<string>? progress)
    {
        if (!File.Exists(definition.ModelFile))
        {
            throw new PipelineSpecException(definition.SpecFile, "$.model.file", $"model file '{definition.ModelFile}' does not exist.");
        }

        LoadedModel model;
        try
        {
            model = LoadedModel.Load(definition.ModelFile, definition.Task, definition.ModelRuntime, definition.ModelThreads);
        }
        catch (DataSourceException e)
        {
            throw new PipelineSpecException(definition.SpecFile, "$.model.file", e.Message, e);
        }
        catch (Models.Native.UnsupportedGraphException e)
        {
            throw new PipelineSpecException(definition.SpecFile, "$.model.runtime",
                $"is \"native\" but model '{definition.ModelFile}' is not a graph the native runtime evaluates: {e.Message} Use \"auto\" or \"onnxruntime\".", e);
        }

        if (model.Model.InputWidth != definition.Inputs.Count)
        {
            model.Dispose();
            throw new PipelineSpecException(definition.SpecFile, "$.inputs",
                $"the model takes {model.Model.InputWidth} inputs but the spec lists {definition.Inputs.Count}.");
        }

        progress?.Report($"model: {model.Description}");
        return model;
    }

    /// <summary>
    /// The census columns of a table: the spec's, or, by default, every column its queries SUM, AVG, VAR or STD (the
    /// cache keeps the numeric ones); empty when the census is off.
    /// </summary>
    private static IReadOnlyList<string> CensusColumnsFor(PipelineDefinition definition, TableDefinition table)
    {
        if (!table.Census.Enabled)
        {
            return [];
        }

        if (table.Census.Columns is { } columns)
        {
            return columns;
        }

        var chosen = new List<string>();
        foreach (var query in definition.Queries.Where(q => q.Table == table.Name))
        {
            foreach (var aggregate in query.Aggregates)
            {
                var spec = aggregate.Spec;
                if (spec.Op is AggregateOp.Sum or AggregateOp.Avg or AggregateOp.Var or AggregateOp.Std && spec.Column is { } column && !chosen.Contains(column))
                {
                    chosen.Add(column);
                }
            }
        }

        return chosen;
    }

    private static List<LayoutSpec> LayoutsFor(PipelineDefinition definition, string table)
    {
        var layouts = new List<LayoutSpec>();
        foreach (var query in definition.Queries.Where(q => q.Table == table))
        {
            var keys = query.Keys.Select(k => k.Key).ToArray();
            if (!layouts.Any(l => l.KeyColumns.Count == keys.Length && keys.All(l.KeyColumns.Contains)))
            {
                layouts.Add(new LayoutSpec(keys.Length == 0 ? "all" : "by_" + string.Join("_", keys), keys));
            }
        }

        return layouts;
    }

    private RequestContext RentContext() =>
        _contexts.TryTake(out var context)
            ? context
            : new RequestContext(
                Definition.Request, _queries.Length, Definition.Inputs.Count, _groupOfInput, _propagationOptions, Definition.Planner.Policy, Definition.Planner.Seed);

    /// <summary>Pools the context with its cursors: the next request restarts them (<see cref="RequestContext.OpenCursor"/>).</summary>
    private void ReturnContext(RequestContext context) => _contexts.Add(context);
}
