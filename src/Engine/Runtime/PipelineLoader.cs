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
        Redis.RedisTableStore? redis = null;
        try
        {
            foreach (var table in definition.Tables)
            {
                var layouts = LayoutsFor(definition, table.Name);
                if (layouts.Count == 0)
                {
                    continue; // no query reads it
                }

                if (table.Store == TableStoreKind.Redis)
                {
                    redis ??= await ConnectRedisAsync(definition, table, options, cancellationToken).ConfigureAwait(false);
                    options.Progress?.Report($"table '{table.Name}': opening it in {redis.Options.Configuration}");
                    var opened = await redis.OpenTableAsync(table.Name, cancellationToken).ConfigureAwait(false);
                    tables[table.Name] = opened;
                    CheckStoredTable(definition, table, opened, layouts);
                    keyValues[table.Name] = StoredKeyValues(opened, KeyValueColumnsFor(definition, table.Name));
                    continue;
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
            var loaded = new LoadedPipeline(definition, tables, queries, model, delta, compute) { RedisStore = redis };
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

    /// <summary>The Redis store a pipeline's Redis tables come from: the engine options', else BIATHLON_REDIS's.</summary>
    internal static async Task<Redis.RedisTableStore> ConnectRedisAsync(
        PipelineDefinition definition, TableDefinition table, EngineOptions options, CancellationToken cancellationToken)
    {
        var settings = options.Redis;
        if (settings is null && Environment.GetEnvironmentVariable(RedisEnvironmentVariable) is { Length: > 0 } configuration)
        {
            settings = new Redis.RedisStoreOptions { Configuration = configuration };
        }

        if (settings is null)
        {
            throw new PipelineSpecException(definition.SpecFile, $"{table.JsonPath}.store",
                $"is \"redis\" but no Redis store is configured: set EngineOptions.Redis (the server's Biathlon:Store:Redis:Configuration) or the {RedisEnvironmentVariable} environment variable.");
        }

        try
        {
            return await Redis.RedisTableStore.ConnectAsync(settings, cancellationToken).ConfigureAwait(false);
        }
        catch (ConfigurationException e)
        {
            throw new PipelineSpecException(definition.SpecFile, $"{table.JsonPath}.store", $"the Redis store cannot be used: {e.Message}", e);
        }
    }

    /// <summary>The environment variable that names the Redis store when <see cref="EngineOptions.Redis"/> does not.</summary>
    public const string RedisEnvironmentVariable = "BIATHLON_REDIS";

    /// <summary>A stored table must match the spec: its partitions, time column and the layouts the queries need.</summary>
    private static void CheckStoredTable(PipelineDefinition definition, TableDefinition table, PartitionedTable stored, List<LayoutSpec> layouts)
    {
        var reload = $"upload it again with this pipeline (Biathlon.Host load-store {definition.Folder}).";
        if (stored.Partitions != table.Partitions || stored.TimeColumn != table.TimeColumn || stored.Seed != table.Seed)
        {
            throw new PipelineSpecException(definition.SpecFile, $"{table.JsonPath}.store",
                $"the table '{table.Name}' stored in Redis has {stored.Partitions} partitions, seed {stored.Seed} and time column '{stored.TimeColumn}', but the spec asks for {table.Partitions}, {table.Seed} and '{table.TimeColumn}': {reload}");
        }

        foreach (var layout in layouts)
        {
            try
            {
                stored.FindLayout(layout.KeyColumns);
            }
            catch (QueryException e)
            {
                throw new PipelineSpecException(definition.SpecFile, $"{table.JsonPath}.store", $"{e.Message} The queries need it: {reload}", e);
            }
        }
    }

    /// <summary>
    /// The value sets of a stored table's multi-key columns (<see cref="KeyValues"/>), from its layouts' group keys:
    /// every value a key column holds is part of some group.
    /// </summary>
    private static Dictionary<string, long[]> StoredKeyValues(PartitionedTable table, List<string> columns)
    {
        var result = new Dictionary<string, long[]>(StringComparer.Ordinal);
        foreach (var column in columns)
        {
            if (table.Schema.Column(column).Type == Sampling.Schema.ColumnType.String)
            {
                continue;
            }

            var values = new HashSet<long>();
            foreach (var layout in table.Layouts)
            {
                var k = IndexOf(layout.KeyColumns, column);
                if (k < 0 || layout.RemoteIndex is not { } index)
                {
                    continue;
                }

                for (var g = 0; g < index.GroupCount; g++)
                {
                    values.Add(index.Key(g)[k]);
                }
            }

            var sorted = values.ToArray();
            Array.Sort(sorted);
            result[column] = sorted;
        }

        return result;
    }

    private static int IndexOf(IReadOnlyList<string> list, string value)
    {
        for (var i = 0; i < list.Count; i++)
        {
            if (list[i] == value)
            {
                return i;
            }
        }

        return -1;
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
    internal static IReadOnlyList<string> CensusColumnsFor(PipelineDefinition definition, TableDefinition table)
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
    internal static List<string> KeyValueColumnsFor(PipelineDefinition definition, string table) =>
        definition.Queries.Where(q => q.Table == table && q.Keys.Count > 1).SelectMany(q => q.Keys.Select(k => k.Key)).Distinct().Order(StringComparer.Ordinal).ToList();

    internal static List<LayoutSpec> LayoutsFor(PipelineDefinition definition, string table)
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
