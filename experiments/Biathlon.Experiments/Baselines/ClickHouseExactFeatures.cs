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
public sealed class ClickHouseExactFeatures(ClickHousePipeline pipeline)
{
    private readonly ClickHousePipeline _pipeline = pipeline ?? throw new ArgumentNullException(nameof(pipeline));
    private readonly BaselineRequest _request = new(pipeline.Definition);
    private readonly double[][] _values = pipeline.Queries.Select(q => new double[q.Query.Aggregates.Count]).ToArray();
    private readonly float[] _row = new float[pipeline.Definition.Inputs.Count];
    private readonly float[] _output = new float[1];

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

        for (var i = 0; i < inputs.Count; i++)
        {
            var input = inputs[i];
            if (input.Query < 0)
            {
                features[i] = (float)_request.Feature(i);
                continue;
            }

            var value = _values[input.Query][input.Aggregate];
            features[i] = (float)(double.IsFinite(value) ? value : definition.Queries[input.Query].Aggregates[input.Aggregate].Fill);
        }
    }

    /// <summary>The model on the exact features of <paramref name="request"/>: the exact pipeline's prediction.</summary>
    public double Predict(IReadOnlyDictionary<string, object?> request, OnnxModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.InputWidth != _row.Length)
        {
            throw new ArgumentException($"The model takes {model.InputWidth} inputs; the pipeline has {_row.Length}.", nameof(model));
        }

        ComputeFeatures(request, _row);
        model.EvaluateRowMajor(_row, 1, _output);
        return _output[0];
    }
}
