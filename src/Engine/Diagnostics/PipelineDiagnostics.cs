using System.Diagnostics;
using Biathlon.Engine.Runtime;
using Biathlon.Sampling.Errors;
using Biathlon.Sampling.Layouts;

namespace Biathlon.Engine.Diagnostics;

/// <summary>
/// Hooks for tools around a loaded engine rather than for serving: the loaded tables (to draw requests from the
/// data), a request's exact model inputs (to train a model), and one query's cost at a sample fraction (to fit a cost
/// profile). They share the engine's tables, pooled contexts and partition orders, so what they measure is what
/// serving does; none of them changes what the engine predicts.
/// </summary>
/// <param name="engine">The engine to inspect; it must outlive this object.</param>
public sealed class PipelineDiagnostics(BiathlonEngine engine)
{
    private readonly BiathlonEngine _engine = engine ?? throw new ArgumentNullException(nameof(engine));
    private readonly LoadedPipeline _pipeline = engine.Pipeline;
    private readonly RequestLoop _loop = engine.Loop;

    /// <summary>A loaded table (one some query reads), for harnesses that draw requests from the data; valid until the engine is disposed.</summary>
    /// <exception cref="QueryException">No query of the pipeline reads a table of that name.</exception>
    public PartitionedTable GetTable(string name) =>
        _pipeline.Tables.TryGetValue(name, out var table)
            ? table
            : throw new QueryException(name, $"Pipeline '{_pipeline.Definition.Name}' has no loaded table '{name}'.");

    /// <summary>
    /// The exact model inputs of a request (undefined aggregates replaced by their fill values), for training. Throws
    /// <see cref="RequestException"/> naming the field of a bad request.
    /// </summary>
    public void ComputeExactFeatures(IReadOnlyDictionary<string, object?> request, Span<float> features)
    {
        var definition = _pipeline.Definition;
        if (features.Length < definition.Inputs.Count)
        {
            throw new ArgumentException($"The span holds {features.Length} values; the pipeline has {definition.Inputs.Count} inputs.", nameof(features));
        }

        ObjectDisposedException.ThrowIf(!_engine.TryBeginUse(), _engine);
        var context = _pipeline.RentContext();
        try
        {
            var values = _pipeline.ReadRequest(context, request);
            var seed = values.Digest(definition.Planner.Seed);
            for (var q = 0; q < _pipeline.Queries.Length; q++)
            {
                var query = _pipeline.Queries[q];
                context.OpenCursor(q, query, values, _pipeline.EstimatorOptions, RequestStreams.PartitionOrder(seed, q)).WidenToPartitions(query.Partitions);
            }

            _loop.FillFeatures(context);
            for (var i = 0; i < definition.Inputs.Count; i++)
            {
                features[i] = (float)context.Features[i].Value;
            }
        }
        finally
        {
            _pipeline.ReturnContext(context);
            _engine.EndUse();
        }
    }

    /// <summary>
    /// Reads query <paramref name="query"/> of a request at sample fraction <paramref name="fraction"/> from scratch
    /// (bind, open, widen, estimate its aggregates) and reports the rows it read, the rows it would read exactly, and
    /// the time taken. The harness fits its per-query cost model from these.
    /// </summary>
    public (long RowsRead, long ExactRows, TimeSpan Elapsed) MeasureQuery(IReadOnlyDictionary<string, object?> request, int query, double fraction)
    {
        if ((uint)query >= (uint)_pipeline.Queries.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(query), query, $"The pipeline has {_pipeline.Queries.Length} queries.");
        }

        ObjectDisposedException.ThrowIf(!_engine.TryBeginUse(), _engine);
        try
        {
            return Measure(request, query, fraction);
        }
        finally
        {
            _engine.EndUse();
        }
    }

    private (long RowsRead, long ExactRows, TimeSpan Elapsed) Measure(IReadOnlyDictionary<string, object?> request, int query, double fraction)
    {
        var definition = _pipeline.Definition;
        var values = RequestValues.Parse(request, definition.Request);
        var compiled = _pipeline.Queries[query];
        var predicate = compiled.Bind(values);
        var start = Stopwatch.GetTimestamp();
        using var cursor = compiled.Layout.OpenCursor(
            predicate, compiled.Aggregates, _pipeline.EstimatorOptions, RequestStreams.PartitionOrder(values.Digest(definition.Planner.Seed), query));
        var exactRows = compiled.EstimateRows(cursor);
        if (compiled.Table.Source is { } source)
        {
            // A remote table: the partitions the widening reads are fetched first (their time counts).
            var batch = new Sampling.Sources.FetchBatch();
            batch.Add(cursor, Math.Clamp((int)Math.Ceiling(fraction * compiled.Partitions - 1e-9), 1, compiled.Partitions));
            source.FetchAsync(batch, CancellationToken.None).AsTask().GetAwaiter().GetResult();
        }

        cursor.WidenTo(fraction);
        for (var a = 0; a < compiled.Aggregates.Length; a++)
        {
            cursor.Estimate(a);
        }

        return (cursor.RowsScanned, exactRows, Stopwatch.GetElapsedTime(start));
    }
}
