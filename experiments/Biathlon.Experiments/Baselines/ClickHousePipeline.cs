using Biathlon.Engine.Specs;

namespace Biathlon.Experiments.Baselines;

/// <summary>
/// A pipeline's tables loaded into a <see cref="ClickHouseServer"/> (see <c>ClickHouseTables</c>: MergeTree tables
/// ordered by the engine's partition id) and the SQL of its feature queries: what the exact and approximate ClickHouse
/// baselines share. The server is not owned: one server serves every pipeline of a run.
/// </summary>
public sealed class ClickHousePipeline
{
    private ClickHousePipeline(ClickHouseServer server, PipelineDefinition definition, ClickHouseQuerySql[] queries)
    {
        Server = server;
        Definition = definition;
        Queries = queries;
    }

    /// <summary>The server holding the tables.</summary>
    public ClickHouseServer Server { get; }

    /// <summary>The pipeline.</summary>
    public PipelineDefinition Definition { get; }

    internal ClickHouseQuerySql[] Queries { get; }

    /// <summary>
    /// Loads every table of <paramref name="definition"/> into <paramref name="server"/> (replacing tables of the same
    /// names) and builds each query's SQL. Throws <see cref="InvalidOperationException"/> naming the query or column that
    /// SQL cannot express, or with the server's error.
    /// </summary>
    public static async Task<ClickHousePipeline> LoadAsync(
        ClickHouseServer server, PipelineDefinition definition, IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(definition);
        var tables = await ClickHouseTables.LoadAsync(server, definition, progress, cancellationToken).ConfigureAwait(false);
        var queries = definition.Queries.Select(q => new ClickHouseQuerySql(definition, q, tables[q.Table])).ToArray();
        return new ClickHousePipeline(server, definition, queries);
    }
}
