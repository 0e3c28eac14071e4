using Biathlon.Engine.Runtime;
using Biathlon.Engine.Specs;

namespace Biathlon.Engine;

/// <summary>The bulk loader: builds a pipeline's Redis tables from their source files and uploads them to the store.</summary>
public static class StoreLoader
{
    /// <summary>
    /// Builds every table of <paramref name="pipeline"/> whose spec says <c>"store": "redis"</c> (with the layouts
    /// and census its queries need, through the same table cache as an in-process load) and uploads each to the Redis
    /// store of <paramref name="options"/> (or <c>BIATHLON_REDIS</c>) as a new generation. Servers that open the
    /// table afterwards serve it; those already serving keep the generation they opened until they reload. Returns
    /// each table's new generation id. Throws <see cref="PipelineSpecException"/> when no table asks for Redis.
    /// </summary>
    public static async Task<IReadOnlyDictionary<string, string>> UploadAsync(string pipeline, EngineOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new EngineOptions();
        var definition = PipelineSpecLoader.Load(pipeline, options.DataDirectory);
        var cache = options.CacheDirectory ?? Path.Combine(definition.Folder, ".cache");
        var generations = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var table in definition.Tables)
        {
            var layouts = PipelineLoader.LayoutsFor(definition, table.Name);
            if (table.Store != TableStoreKind.Redis || layouts.Count == 0)
            {
                continue;
            }

            var store = await PipelineLoader.ConnectRedisAsync(definition, table, options, cancellationToken).ConfigureAwait(false);
            var (built, _) = await TableCache.OpenAsync(
                table, layouts, PipelineLoader.CensusColumnsFor(definition, table), PipelineLoader.KeyValueColumnsFor(definition, table.Name), cache, options.Progress, cancellationToken)
                .ConfigureAwait(false);
            using (built)
            {
                options.Progress?.Report($"table '{table.Name}': uploading {built.RowCount:N0} rows to {store.Options.Configuration}");
                generations[table.Name] = await store.UploadAsync(built, options.Progress, cancellationToken).ConfigureAwait(false);
            }
        }

        if (generations.Count == 0)
        {
            throw new PipelineSpecException(definition.SpecFile, "$.tables", "no table that a query reads has \"store\": \"redis\": there is nothing to upload.");
        }

        return generations;
    }
}
