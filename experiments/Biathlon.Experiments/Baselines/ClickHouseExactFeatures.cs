using Biathlon.Engine.Models;

namespace Biathlon.Experiments.Baselines;

/// <summary>
/// The "analytical database server, exact" baseline (<c>clickhouse-exact</c>): per request, one SQL statement per
/// feature query over HTTP, computing all of that query's aggregates over the rows the request selects, for example
/// <code>
/// SELECT avg(toFloat64(`delay`)), count() FROM `flights`
/// WHERE 1 AND `origin` = 'SFO' AND `date` &gt;= 983404800000000 AND `date` &lt; 985989600000000
/// </code>
/// then the model once on the features. Definitions follow the engine: VAR and STD are the sample versions
/// (<c>varSamp</c>, <c>stddevSamp</c>), COUNT DISTINCT is <c>uniqExact</c>, MEDIAN and PERCENTILE interpolate between
/// the exact order statistics around (n − 1)·q (18.16's <c>quantileExact</c> does not interpolate, so the statement
/// sorts the values itself), SUM of no rows is 0, and an undefined aggregate (NULL, nan: AVG of no rows, VAR of one)
/// takes its fill value. Not thread-safe: one request at a time.
/// </summary>
public sealed class ClickHouseExactFeatures
{
    private readonly ClickHousePipeline _pipeline;
    private readonly BaselineRequest _request;
    private readonly double[][] _values;
    private readonly ExactFeatureRow _row;

    /// <summary>The baseline over a pipeline loaded into a ClickHouse server.</summary>
    public ClickHouseExactFeatures(ClickHousePipeline pipeline)
    {
        _pipeline = pipeline ?? throw new ArgumentNullException(nameof(pipeline));
        _request = new BaselineRequest(pipeline.Definition);
        _values = pipeline.Queries.Select(q => new double[q.Query.Aggregates.Count]).ToArray();
        _row = new ExactFeatureRow(pipeline.Definition, _values);
    }

    /// <summary>The statements <paramref name="request"/> sends, in query order (for logs and tests).</summary>
    public IReadOnlyList<string> Statements(IReadOnlyDictionary<string, object?> request)
    {
        _request.Read(request);
        return _pipeline.Queries.Select(q => q.Exact(_request)).ToArray();
    }

    /// <summary>
    /// The model inputs of <paramref name="request"/> in the pipeline's input order: request features as the engine
    /// computes them, aggregates from ClickHouse (undefined → the aggregate's fill value).
    /// </summary>
    public void ComputeFeatures(IReadOnlyDictionary<string, object?> request, Span<float> features)
    {
        var definition = _pipeline.Definition;
        var inputs = definition.Inputs;
        if (features.Length < inputs.Count)
        {
            throw new ArgumentException($"The span holds {features.Length} values; the pipeline has {inputs.Count} inputs.", nameof(features));
        }

        _request.Read(request);
        for (var q = 0; q < _pipeline.Queries.Length; q++)
        {
            var sql = _pipeline.Queries[q].Exact(_request);
            ClickHouseSql.ParseRow(_pipeline.Server.Query(sql), _values[q].Length, sql).CopyTo(_values[q], 0);
        }

        _row.Assemble(_request, features);
    }

    /// <summary>The model on the exact features of <paramref name="request"/>: the exact pipeline's prediction.</summary>
    public double Predict(IReadOnlyDictionary<string, object?> request, OnnxModel model)
    {
        ComputeFeatures(request, _row.Row);
        return _row.Predict(model);
    }
}
