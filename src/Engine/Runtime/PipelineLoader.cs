using System.Globalization;
using Biathlon.Engine.Compute;
using Biathlon.Engine.Models;
using Biathlon.Engine.Specs;
using Biathlon.Sampling.Aggregates;
using Biathlon.Sampling.Errors;
using Biathlon.Sampling.Layouts;

namespace Biathlon.Engine.Runtime;

/// <summary>
/// Builds a <see cref="LoadedPipeline"/> from a pipeline folder: validates the spec, opens (or builds and caches) the
/// tables with the layouts the queries need, binds the queries, and loads the model on the runtime the spec asks for.
/// Every failure names the spec file and the JSON path at fault; nothing is left open when loading fails.
/// </summary>
internal static class PipelineLoader
{
    public static async Task<LoadedPipeline> LoadAsync(string pipeline, EngineOptions options, CancellationToken cancellationToken)
    {
        var definition = PipelineSpecLoader.Load(pipeline, options.DataDirectory);
        if (options.TableSeed is { } tableSeed)
        {
            definition = definition with { Tables = definition.Tables.Select(t => t with { Seed = tableSeed }).ToArray() };
        }

        if (options.ModelRuntime is { } runtime)
        {
            definition = definition with { ModelRuntime = runtime };
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
        var keyValues = new Dictionary<string, Dictionary<string, long[]>>(StringComparer.Ordinal);
        var queries = new CompiledQuery[definition.Queries.Count];
        LoadedModel? model = null;
        PipelineCompute? compute = null;
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
                    (tables[table.Name], keyValues[table.Name]) = await TableCache.OpenAsync(
                        table, layouts, CensusColumnsFor(definition, table), KeyValueColumnsFor(definition, table.Name), cache, options.Progress, cancellationToken)
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
                    queries[q] = new CompiledQuery(
                        query, table, table.FindLayout(query.Keys.Select(k => k.Key).ToArray()), definition.Request, keyValues[query.Table]);
                }
                catch (Exception e) when (e is SchemaException or QueryException)
                {
                    // Constant filters are compiled here, once: one that cannot apply to its column fails the load.
                    throw new PipelineSpecException(file, $"{query.JsonPath}.filters", e.Message, e);
                }
            }

            // With δ per request (bound.deltaField) the pipeline has none of its own.
            double delta = definition.Bound.DeltaField is not null ? double.NaN : definition.Bound.Delta ?? 0;
            if (options.LoadModel)
            {
                // The backend is chosen before the model loads: on CUDA, a model ONNX Runtime runs asks for its CUDA provider.
                compute = PipelineCompute.Create(definition.Name, options);
                model = LoadModel(definition, options.Progress, compute.Backend == ComputeBackend.Cuda);
                if (definition.Bound.DeltaMetadata is { } key)
                {
                    if (!model.Metadata.TryGetValue(key, out var text)
                        || !double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out delta) || !(delta >= 0))
                    {
                        throw new PipelineSpecException(file, "$.bound.deltaMetadata", $"model '{definition.ModelFile}' has no non-negative number in metadata entry '{key}'{(model.MetadataNote is { } note ? $": {note}" : "")}.");
                    }
                }
            }

            compute ??= PipelineCompute.Create(definition.Name, options);
            compute.Attach(queries, model, options.ComputeBatchWait, options.Progress);
            var loaded = new LoadedPipeline(definition, tables, queries, model, delta, compute);
            compute.LogChoice(compute.Info);
            options.Progress?.Report($"compute backend: {compute.Info}");
            return loaded;
        }
        catch
        {
            compute?.Dispose();
            model?.Dispose();
            foreach (var table in tables.Values)
            {
                table.Dispose();
            }

            throw;
        }
    }

    private static LoadedModel LoadModel(PipelineDefinition definition, IProgress<string>? progress, bool cudaExecutionProvider)
    {
        if (!File.Exists(definition.ModelFile))
        {
            throw new PipelineSpecException(definition.SpecFile, "$.model.file", $"model file '{definition.ModelFile}' does not exist.");
        }

        LoadedModel model;
        try
        {
            model = LoadedModel.Load(definition.ModelFile, definition.Task, definition.ModelRuntime, definition.ModelThreads, definition.Inputs.Count, cudaExecutionProvider);
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
            var oneHot = definition.Inputs.Any(i => i.Transform == RequestTransform.OneHot)
                ? $" (one-hot features expanded: {string.Join(", ", definition.Inputs.Select(i => i.Name))})"
                : "";
            throw new PipelineSpecException(definition.SpecFile, "$.inputs",
                $"the model takes {model.Model.InputWidth} inputs but the spec lists {definition.Inputs.Count}{oneHot}.");
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

    /// <summary>
    /// The key columns whose values the engine keeps to tell an unknown key value (docs/pipelines.md, Request values):
    /// those a query keys on together with others, since a layout's groups are their combinations. The table cache
    /// keeps them for the non-string ones; a string column's dictionary and a single key's groups answer without them.
    /// </summary>
    private static List<string> KeyValueColumnsFor(PipelineDefinition definition, string table) =>
        definition.Queries.Where(q => q.Table == table && q.Keys.Count > 1).SelectMany(q => q.Keys.Select(k => k.Key)).Distinct().Order(StringComparer.Ordinal).ToList();

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
}
