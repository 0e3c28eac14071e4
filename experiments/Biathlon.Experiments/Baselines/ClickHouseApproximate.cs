using System.Diagnostics;
using System.Globalization;
using Biathlon.Engine;
using Biathlon.Engine.Specs;
using Biathlon.Planner.Planning;
using Biathlon.Planner.Propagation;
using Biathlon.Sampling.Aggregates;
using Biathlon.Sampling.Estimators;
using Biathlon.Sampling.Numerics;

namespace Biathlon.Experiments.Baselines;

/// <summary>
/// The original research system's own approximation on ClickHouse (<c>clickhouse-approx</c>). Each table is stored
/// ordered by the engine's partition id (<see cref="ClickHousePipeline"/>), so the rows of partitions [a, b) are one
/// short key range. Per request, each sampled feature query starts at the pipeline's initial fraction and each round
/// reads only its new partitions' range with one SQL statement, returning partial aggregates (rows, count and power
/// sums of each averaged or summed column, the values of quantile columns) that are added to what earlier rounds read
/// and turned into estimates with errors (<c>ClickHouseSample</c>). Those feed our planner through its public API, as
/// the engine's loop does: <see cref="UncertaintyPropagator"/> propagates them through the model (QMC, first-order
/// indices), <see cref="TerminationRule"/> stops when the prediction is within δ of the exact one with confidence τ
/// (or all queries are exact, or at the round limit), and <see cref="SensitivityPlanPolicy"/> (the spec's policy)
/// chooses the next partitions.
/// </summary>
/// <remarks>
/// <para>
/// Queries the engine reads exactly (<c>"sampled": false</c>, or with MIN, MAX or COUNT DISTINCT) are read with the
/// exact statement in the first round. Each request reads each query's partitions from a random start (seeded by the
/// request and the query) around the ring of P ids, so different requests' samples are independent; a range that
/// wraps is two key ranges in one statement.
/// </para>
/// <para>
/// Differences from the engine's loop, by design of the baseline: no census stratum (see <c>ClickHouseTables</c>), no
/// correlations between a query's features (they propagate as independent), normal errors without the engine's
/// skewness and log-normal corrections, and no decision priced by measured costs (no exact shortcut; the planner's
/// per-row cost is a constant times the query's estimated rows), and every sampled query starts at the initial fraction
/// (the original system's α; the engine's <c>planner.initialRows</c> would cost a count statement per query here).
/// </para>
/// <para>Not thread-safe: one request at a time.</para>
/// </remarks>
public sealed class ClickHouseApproximate
{
    /// <summary>Seconds per row the planner's priorities assume (a constant: the baseline measures no costs).</summary>
    private const double SecondsPerRow = 1e-8;

    private readonly ClickHousePipeline _pipeline;
    private readonly PipelineDefinition _definition;
    private readonly IBatchModel _model;
    private readonly bool _classification;
    private ErrorBound _bound;
    private readonly PlannerDefinition _planner;
    private readonly BaselineRequest _request;
    private readonly ClickHouseSample[] _samples;
    private readonly bool[] _sampled;
    private readonly double[][] _exactValues;
    private readonly int _partitions;
    private readonly UncertaintyPropagator _propagator;
    private readonly IPlanPolicy _policy;
    private readonly FeatureEstimate[] _features;
    private readonly QueryPlanState[] _states;
    private readonly int[] _plan;
    private readonly int[] _offsets;
    private readonly float[] _row;
    private readonly float[] _output = new float[1];

    /// <summary>Creates the method over a loaded pipeline.</summary>
    /// <param name="pipeline">The tables in ClickHouse and the queries' SQL.</param>
    /// <param name="model">The pipeline's model (the same as the engine's).</param>
    /// <param name="delta">
    /// δ: the engine's <c>BiathlonEngine.Delta</c> (ignored for classification, and NaN for a pipeline with
    /// <c>bound.deltaField</c>, whose requests each carry their own δ in that field, as the engine reads it).
    /// </param>
    /// <param name="planner">Replaces the spec's planner settings (initial fraction, step, policy, rounds); null keeps them.</param>
    public ClickHouseApproximate(ClickHousePipeline pipeline, IBatchModel model, double delta, PlannerDefinition? planner = null)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        ArgumentNullException.ThrowIfNull(model);
        _pipeline = pipeline;
        _definition = pipeline.Definition;
        _model = model;
        if (model.InputWidth != _definition.Inputs.Count)
        {
            throw new ArgumentException($"The model takes {model.InputWidth} inputs; pipeline '{_definition.Name}' has {_definition.Inputs.Count}.", nameof(model));
        }

        _partitions = _definition.Tables[0].Partitions;
        if (_definition.Tables.FirstOrDefault(t => t.Partitions != _partitions) is { } other)
        {
            throw new NotSupportedException(
                $"Pipeline '{_definition.Name}': table '{other.Name}' has {other.Partitions} partitions, '{_definition.Tables[0].Name}' {_partitions}; the approximate ClickHouse baseline needs one count.");
        }

        _classification = _definition.Task == PredictionTask.Classification;
        // A deltaField pipeline has no δ of its own (delta is NaN): each request sets it; 0 stands until the first.
        _bound = Bound(_classification || _definition.Bound.DeltaField is not null ? 0 : delta);

        _planner = planner ?? _definition.Planner;
        var queries = pipeline.Queries;
        _request = new BaselineRequest(_definition);
        _samples = queries.Select(q => new ClickHouseSample(
            q.Query, q.MomentColumns, q.QuantileColumns, q.MomentColumns.Select(c => q.Table.Means[c]).ToArray(), _planner.MinSupport)).ToArray();
        _sampled = queries.Select(q => q.Query.Sampled && q.Query.Aggregates.All(a => a.Spec.Op is not (AggregateOp.Min or AggregateOp.Max or AggregateOp.CountDistinct))).ToArray();
        _exactValues = queries.Select(q => new double[q.Query.Aggregates.Count]).ToArray();
        var groups = _definition.Inputs.Select(i => i.Query >= 0 ? i.Query : queries.Length).ToArray();
        _propagator = new UncertaintyPropagator(groups, new PropagationOptions(baseSamples: _planner.BaseSamples));
        _policy = _planner.Policy switch
        {
            "uniform" => new UniformPlanPolicy(),
            "random" => new RandomPlanPolicy(_planner.Seed),
            _ => new SensitivityPlanPolicy(),
        };
        _features = new FeatureEstimate[_definition.Inputs.Count];
        _states = new QueryPlanState[queries.Length];
        _plan = new int[queries.Length];
        _offsets = new int[queries.Length];
        _row = new float[_definition.Inputs.Count];
    }

    /// <summary>Serves <paramref name="request"/> with a seed digested from its field values and the planner's seed.</summary>
    public ClickHouseApproxResult Predict(IReadOnlyDictionary<string, object?> request)
    {
        _request.Read(request);
        return Predict(request, _request.Digest(_planner.Seed));
    }

    /// <summary>
    /// Serves <paramref name="request"/>; <paramref name="seed"/> draws the partitions' start per query and the QMC
    /// designs (the same seed replays the same answer).
    /// </summary>
    public ClickHouseApproxResult Predict(IReadOnlyDictionary<string, object?> request, ulong seed)
    {
        var start = Stopwatch.GetTimestamp();
        _request.Read(request);
        if (!_classification && _request.DeltaField >= 0)
        {
            // δ per request (bound.deltaField): the field's value, which must be finite and above 0, as in the engine.
            var delta = _request.Numbers[_request.DeltaField];
            if (!(delta > 0) || !double.IsFinite(delta))
            {
                var name = _definition.Bound.DeltaField!;
                throw new RequestException(name, $"Request field '{name}' holds δ and must be a finite number above 0; got {delta.ToString(CultureInfo.InvariantCulture)}.");
            }

            _bound = Bound(delta);
        }

        var planner = _planner;
        var initial = Math.Max(1, (int)Math.Ceiling(planner.InitialFraction * _partitions - 1e-9));
        var queries = _pipeline.Queries;
        for (var q = 0; q < queries.Length; q++)
        {
            _samples[q].Clear();
            _plan[q] = _sampled[q] ? Math.Min(initial, _partitions) : _partitions;
            _offsets[q] = SplitMix64.Below(SplitMix64.Hash(seed, (ulong)q), _partitions);
        }

        _policy.BeginRequest(seed);
        var termination = new TerminationRule(_bound, planner.MaxRounds);
        var settings = new PlanSettings(_partitions, planner.StepPartitions, planner.MinSupport);
        long samplingTicks = 0, propagationTicks = 0, planningTicks = 0;
        var statements = 0;
        var rounds = 0;
        while (true)
        {
            rounds++;
            var t0 = Stopwatch.GetTimestamp();
            for (var q = 0; q < queries.Length; q++)
            {
                var sample = _samples[q];
                if (_plan[q] <= sample.Partitions)
                {
                    continue;
                }

                statements++;
                if (!_sampled[q])
                {
                    var exact = queries[q].Exact(_request);
                    ClickHouseSql.ParseRow(_pipeline.Server.Query(exact), _exactValues[q].Length, exact).CopyTo(_exactValues[q], 0);
                }
                else
                {
                    var sql = queries[q].Partials(_request, _offsets[q] + sample.Partitions, _offsets[q] + _plan[q]);
                    sample.Add(ClickHouseSql.SplitRow(_pipeline.Server.Query(sql)), sql);
                }

                sample.Partitions = _plan[q];
            }

            var allExact = FillFeatures();
            var t1 = Stopwatch.GetTimestamp();
            samplingTicks += t1 - t0;
            if (allExact)
            {
                var value = EvaluatePointEstimates();
                propagationTicks += Stopwatch.GetTimestamp() - t1;
                return Result(value, StopReason.AllExact, rounds, 1, statements, samplingTicks, propagationTicks, planningTicks);
            }

            var result = _propagator.Propagate(_features, _model, _definition.Task, _bound, SplitMix64.Hash(seed ^ 0x9E3779B97F4A7C15UL, (ulong)rounds));
            var t2 = Stopwatch.GetTimestamp();
            propagationTicks += t2 - t1;
            var stop = termination.Check(result, allExact: false, rounds, Stopwatch.GetElapsedTime(start));
            if (stop != StopReason.None)
            {
                var value = result.IsIndeterminate ? EvaluatePointEstimates() : result.Prediction;
                propagationTicks += Stopwatch.GetTimestamp() - t2;
                return Result(value, stop, rounds, result.IsIndeterminate ? double.NaN : result.Confidence, statements, samplingTicks, propagationTicks, planningTicks);
            }

            Plan(result.IsIndeterminate ? default : _propagator.FirstOrderIndices, settings);
            planningTicks += Stopwatch.GetTimestamp() - t2;
        }
    }

    /// <summary>Every model input from the request or its query's estimate; true when all are exact.</summary>
    private bool FillFeatures()
    {
        var inputs = _definition.Inputs;
        var allExact = true;
        for (var i = 0; i < inputs.Count; i++)
        {
            var input = inputs[i];
            if (input.Query < 0)
            {
                _features[i] = FeatureEstimate.Exact(_request.Feature(i));
                continue;
            }

            if (!_sampled[input.Query])
            {
                var value = _exactValues[input.Query][input.Aggregate];
                _features[i] = FeatureEstimate.Exact(double.IsFinite(value) ? value : _definition.Queries[input.Query].Aggregates[input.Aggregate].Fill);
                continue;
            }

            var p = (double)_samples[input.Query].Partitions / _partitions;
            _features[i] = _samples[input.Query].Estimate(input.Aggregate, p);
            allExact &= _features[i].IsExact;
        }

        return allExact;
    }

    private void Plan(ReadOnlySpan<double> firstOrder, PlanSettings settings)
    {
        for (var q = 0; q < _states.Length; q++)
        {
            var sample = _samples[q];
            var p = (double)sample.Partitions / _partitions;
            var estimated = sample.Rows > 0 ? sample.Rows / p : double.NaN;
            var slope = (double.IsNaN(estimated) ? 0 : estimated) * SecondsPerRow;
            _states[q] = new QueryPlanState
            {
                Partitions = sample.Partitions,
                Sampleable = _sampled[q] && sample.Partitions < _partitions,
                FirstOrderIndex = firstOrder.IsEmpty ? 0 : firstOrder[q],
                CostSlope = slope,
                PriorityCostSlope = slope,
                RowsRead = sample.Rows,
                EstimatedRows = estimated,
                ErrorUnknown = HasUnknownError(q),
            };
        }

        _policy.Plan(_states, settings, _plan);
    }

    private bool HasUnknownError(int query)
    {
        var inputs = _definition.Inputs;
        for (var i = 0; i < inputs.Count; i++)
        {
            if (inputs[i].Query == query && _features[i].Error == ErrorKind.Unknown)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The model on the current values (undefined ones replaced by their fills): the exact prediction when all are exact.</summary>
    private double EvaluatePointEstimates()
    {
        for (var i = 0; i < _row.Length; i++)
        {
            var v = _features[i].Value;
            var input = _definition.Inputs[i];
            _row[i] = (float)(double.IsFinite(v) || input.Query < 0 ? v : _definition.Queries[input.Query].Aggregates[input.Aggregate].Fill);
        }

        _model.Evaluate(_row, 1, _output);
        return _output[0];
    }

    private ClickHouseApproxResult Result(
        double value, StopReason stop, int rounds, double confidence, int statements, long sampling, long propagation, long planning)
    {
        double fractions = 0;
        var sampled = 0;
        for (var q = 0; q < _samples.Length; q++)
        {
            if (_sampled[q])
            {
                fractions += (double)_samples[q].Partitions / _partitions;
                sampled++;
            }
        }

        return new ClickHouseApproxResult(
            value, stop, rounds, sampled == 0 ? 1 : fractions / sampled, confidence, statements,
            Stopwatch.GetElapsedTime(0, sampling), Stopwatch.GetElapsedTime(0, propagation), Stopwatch.GetElapsedTime(0, planning));
    }

    /// <summary>The pipeline's bound kind and τ with δ <paramref name="delta"/>.</summary>
    private ErrorBound Bound(double delta)
    {
        var tau = _definition.Bound.Tau;
        return _definition.Bound.Kind switch
        {
            BoundKind.RelativeError => ErrorBound.Relative(delta, tau),
            BoundKind.ErrorAtConfidence => ErrorBound.AtConfidence(tau, delta),
            _ => ErrorBound.Absolute(delta, tau),
        };
    }
}
