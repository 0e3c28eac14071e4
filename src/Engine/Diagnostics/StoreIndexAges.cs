using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Biathlon.Sampling.Sources;

namespace Biathlon.Engine.Diagnostics;

/// <summary>
/// The remote tables of the pipelines loaded in this process, measured by the <c>biathlon.engine.store.index_age</c>
/// gauge: a pipeline registers its remote tables when it loads and removes them when it is disposed.
/// </summary>
internal static class StoreIndexAges
{
    private static readonly ConcurrentDictionary<(object Owner, string Table), (string Pipeline, PartitionSource Source)> s_tables = new();

    public static void Register(object owner, string pipeline, string table, PartitionSource source) =>
        s_tables[(owner, table)] = (pipeline, source);

    public static void Unregister(object owner, string table) => s_tables.TryRemove((owner, table), out _);

    /// <summary>One measurement per registered table: seconds since its indexes were last confirmed current.</summary>
    public static IEnumerable<Measurement<double>> Measure()
    {
        foreach (var ((_, table), (pipeline, source)) in s_tables)
        {
            yield return new Measurement<double>(source.IndexAge.TotalSeconds, new TagList { { "pipeline", pipeline }, { "table", table } });
        }
    }
}
