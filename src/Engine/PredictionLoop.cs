using System.Diagnostics;
using Biathlon.Engine.Runtime;
using Biathlon.Planner;
using Biathlon.Sampling;
using Biathlon.Sampling.Numerics;

namespace Biathlon.Engine;

/// <summary>The online loop: widen samples, estimate features, propagate, test the bound, plan; shared by approximate and exact serving.</summary>
public sealed partial class BiathlonEngine
{
    private const ulong DesignStream = 0xD1B54A32D192ED03UL;
    private const ulong ExploreStream = 0x8CB92BA72F3D8DD7UL;

    /// <summary>
    /// Predicts within δ of the exact pipeline's prediction with confidence τ (the pipeline's, or
    /// <paramref name="options"/>'), sampling as little as the bound allows. Throws <see cref="RequestException"/>
    /// naming the field of a bad request before any data is read.
    /// </summary>
    public PredictionResult Predict(IReadOnlyDictionary<string, object?> request, PredictOptions? options = null, CancellationToken cancellationToken = default) =>
        Run(request, options, exact: false, cancellationToken);

    /// <summary>The exact pipeline's prediction: every query read completely, the model called once. The same code path as <see cref="Predict"/>.</summary>
    public PredictionResult PredictExact(IReadOnlyDictionary<string, object?> request, CancellationToken cancellationToken = default) =>
        Run(request, null, exact: true, cancellationToken);

    /// <summary>The exact model inputs of a request (undefined aggregates replaced by their fill values), for training.</summary>
    public void ComputeExactFeatures(IReadOnlyDictionary<string, object?> request, Span<float> features)
    {
        if (features.Length < Definition.Inputs.Count)
        {
            throw new ArgumentException($"The span holds {features.Length} values; the pipeline has {Definition.Inputs.Count} inputs.", nameof(features));
        }

        var values = RequestValues.Parse(request, Definition.Request);
        var seed = values.Digest(Definition.Planner.Seed);
        var context = RentContext();
        try
        {
            for (var q = 0; q < _queries.Length; q++)
            {
                var query = _queries[q];
                context.OpenCursor(q, query, values, _estimatorOptions, OrderOf(seed, q)).WidenToPartitions(query.Partitions);
            }

            FillFeatures(context, values);
            for (var i = 0; i < Definition.Inputs.Count; i++)
            {
                features[i] = (float)context.Features[i].Value;
            }
        }
        finally
        {
            ReturnContext(context);
        }
    }

    /// <summary>
    /// Profiling hook: reads query <paramref name="query"/> of a request at sample fraction <paramref name="fraction"/>
    /// from scratch (bind, open, widen, estimate its aggregates) and reports the rows it read, the rows it would read
    /// exactly, and the time taken. The harness fits its per-query cost model from these.
    /// </summary>
    public (long RowsRead, long ExactRows, TimeSpan Elapsed) MeasureQuery(IReadOnlyDictionary<string, object?> request, int query, double fraction)
    {
        if ((uint)query >= (uint)_queries.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(query), query, $"The pipeline has {_queries.Length} queries.");
        }

        var values = RequestValues.Parse(request, Definition.Request);
        var compiled = _queries[query];
        var predicate = compiled.Bind(values);
        var exactRows = compiled.EstimateRows(predicate);
        var start = Stopwatch.GetTimestamp();
        using var cursor = compiled.Layout.OpenCursor(predicate, compiled.Aggregates, _estimatorOptions, OrderOf(values.Digest(Definition.Planner.Seed), query));
        cursor.WidenTo(fraction);
        for (var a = 0; a < compiled.Aggregates.Length; a++)
        {
            cursor.Estimate(a);
        }

        return (cursor.RowsScanned, exactRows, Stopwatch.GetElapsedTime(start));
    }

    /// <summary>Query <paramref name="query"/>'s partition order for the request with replay seed <paramref name="seed"/>: independent across queries and requests.</summary>
    private static PartitionOrder OrderOf(ulong seed, int query) => PartitionOrder.Shuffled(SplitMix64.Hash(seed, (ulong)query));

    /// <summary>The QMC design seed of round <paramref name="round"/>: a fresh scramble every round.</summary>
    private static ulong DesignSeed(ulong seed, int round) => SplitMix64.Hash(seed ^ DesignStream, (ulong)round);

    private PredictionResult Run(IReadOnlyDictionary<string, object?> request, PredictOptions? options, bool exact, CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        if (_model is null)
        {
            throw new InvalidOperationException($"Pipeline '{Definition.Name}' was loaded without its model (EngineOptions.LoadModel = false).");
        }

        var context = RentContext();
        try
        {
            var values = context.Values.Read(request);
            var seed = values.Digest(Definition.Planner.Seed);
            var bound = Bound(options);
            var planner = Definition.Planner;
            var termination = new TerminationRule(bound, options?.MaxRounds ?? planner.MaxRounds, options?.Deadline);
            var fixedFraction = options?.FixedFraction;
            if (fixedFraction is { } z && !(z > 0 && z <= 1))
            {
                throw new QueryException("FixedFraction", $"A fixed sample fraction must lie in (0, 1] (got {z}).");
            }

            var useCosts = !exact && fixedFraction is null && (options?.ExactShortcut ?? planner.ExactShortcut);
            var initial = Math.Max(1, (int)Math.Ceiling((fixedFraction ?? planner.InitialFraction) * _partitions - 1e-9));
            for (var q = 0; q < _queries.Length; q++)
            {
                var query = _queries[q];
                var cursor = context.OpenCursor(q, query, values, _estimatorOptions, OrderOf(seed, q));
                context.EstimatedRows[q] = query.EstimateRows(cursor.Predicate);
                context.ExactReasons[q] = exact ? ExactReason.ExactRequest
                    : !query.Definition.Sampled ? ExactReason.NotSampled
                    : query.HasNotEstimable ? ExactReason.NotEstimable
                    : ExactReason.None;
                context.Plan[q] = context.ExactReasons[q] == ExactReason.None ? Math.Min(initial, _partitions) : _partitions;
                if (context.ExactReasons[q] == ExactReason.None && context.Plan[q] >= _partitions)
                {
                    context.ExactReasons[q] = ExactReason.FullInitialFraction;
                }

                context.QueryTicks[q] = 0;
            }

            context.Policy.BeginRequest(seed);

            var shortcut = false;
            if (useCosts && Array.IndexOf(context.ExactReasons, ExactReason.None) >= 0)
            {
                // One request in 32 (chosen by its seed, so a replay chooses alike) samples even when exact looks
                // cheaper, so the costs behind that choice stay measured.
                var explore = SplitMix64.Hash(seed, ExploreStream) % 32 == 0;
                if (!explore && _costs.ExactIsCheaper(context.EstimatedRows, context.Plan, _partitions))
                {
                    shortcut = true;
                    MarkExact(context, ExactReason.ExactShortcut);
                }
                else
                {
                    // Queries whose whole read costs less than a QMC round start exact: sampling them would only add rounds.
                    _costs.StartCheapQueriesExact(context.EstimatedRows, context.Plan, _partitions);
                    MarkExact(context, ExactReason.CheapAtStart);
                }
            }

            long samplingTicks = 0, propagationTicks = 0, planningTicks = 0;
            var rounds = 0;
            var result = default(PropagationResult);
            var propagated = false;
            var sensitivityMeasured = false;
            StopReason stop;
            double value;
            ValueKind kind;
            while (true)
            {
                rounds++;
                var t0 = Stopwatch.GetTimestamp();
                for (var q = 0; q < _queries.Length; q++)
                {
                    var cursor = context.Cursors[q];
                    var rowsBefore = cursor.RowsScanned;
                    var q0 = Stopwatch.GetTimestamp();
                    cursor.WidenToPartitions(context.Plan[q]);
                    var elapsed = Stopwatch.GetTimestamp() - q0;
                    context.QueryTicks[q] += elapsed;
                    _costs.ObserveRows(q, cursor.RowsScanned - rowsBefore, Stopwatch.GetElapsedTime(0, elapsed).TotalSeconds);
                }

                FillFeatures(context, values);
                var t1 = Stopwatch.GetTimestamp();
                samplingTicks += t1 - t0;

                if (fixedFraction is not null && !AllExact(context))
                {
                    value = EvaluateSingleRow(context);
                    propagationTicks += Stopwatch.GetTimestamp() - t1;
                    stop = StopReason.FixedFraction;
                    kind = ValueKind.PointEstimates;
                    break;
                }

                if (AllExact(context))
                {
                    value = EvaluateSingleRow(context);
                    var t2 = Stopwatch.GetTimestamp();
                    propagationTicks += t2 - t1;
                    _costs.ObserveSingleRow(Stopwatch.GetElapsedTime(t1, t2).TotalSeconds);
                    stop = StopReason.AllExact;
                    kind = ValueKind.ExactModel;
                    break;
                }

                FillCorrelations(context);
                result = context.Propagator.Propagate(
                    context.Features, _model.Model, Definition.Task, bound, DesignSeed(seed, rounds), context.Correlations);
                propagated = !result.IsIndeterminate;
                sensitivityMeasured |= propagated;
                if (propagated)
                {
                    context.Propagator.FirstOrderIndices.CopyTo(context.FirstOrder);
                }
                var t3 = Stopwatch.GetTimestamp();
                propagationTicks += t3 - t1;
                if (!result.IsIndeterminate)
                {
                    _costs.ObserveRound(Stopwatch.GetElapsedTime(t1, t3).TotalSeconds);
                }

                stop = termination.Check(result, allExact: false, rounds, Stopwatch.GetElapsedTime(start));
                if (stop != StopReason.None)
                {
                    if (result.IsIndeterminate)
                    {
                        value = EvaluateSingleRow(context);
                        kind = ValueKind.PointEstimates;
                    }
                    else
                    {
                        value = result.Prediction;
                        kind = Definition.Task == PredictionTask.Classification ? ValueKind.QmcMode : ValueKind.QmcMean;
                    }

                    break;
                }

                cancellationToken.ThrowIfCancellationRequested();
                Plan(context, context.Propagator.FirstOrderIndices, useCosts);
                planningTicks += Stopwatch.GetTimestamp() - t3;
            }

            var exactResult = stop == StopReason.AllExact;

            // What the result reports of the QMC comes from this request's last round, and only when it propagated.
            propagated = propagated && !exactResult && stop != StopReason.FixedFraction && !result.IsIndeterminate;
            var classification = Definition.Task == PredictionTask.Classification;
            var requestedDelta = classification ? 0 : bound.Delta;
            var testedDelta = propagated ? result.Delta
                : bound.Kind == BoundKind.RelativeError && !classification ? bound.Delta * Math.Max(Math.Abs(value), ErrorBound.RelativeFloor)
                : requestedDelta;
            var dependsOnCosts = shortcut;
            foreach (var reason in context.ExactReasons)
            {
                dependsOnCosts |= reason is ExactReason.CheapAtStart or ExactReason.CheaperToFinish;
            }

            return new PredictionResult
            {
                Value = value,
                ValueKind = kind,
                BoundKind = bound.Kind,
                Delta = testedDelta,
                RequestedDelta = requestedDelta,
                Tau = bound.Tau,
                Confidence = exactResult ? 1 : propagated ? result.Confidence : double.NaN,
                ErrorAtTau = bound.Kind != BoundKind.ErrorAtConfidence ? double.NaN : exactResult ? 0 : propagated ? result.ErrorAtTau : double.NaN,
                MeetsBound = exactResult || stop == StopReason.BoundMet,
                IsExact = exactResult,
                StopReason = stop,
                Rounds = rounds,
                TookExactShortcut = shortcut,
                DependsOnMeasuredCosts = dependsOnCosts,
                Seed = seed,
                ModelRuntime = _model.Runtime,
                Queries = Outcomes(context, sensitivityMeasured ? context.FirstOrder : default),
                Features = FeatureOutcomes(context),
                Timings = new StageTimings(
                    Stopwatch.GetElapsedTime(0, samplingTicks),
                    Stopwatch.GetElapsedTime(0, propagationTicks),
                    Stopwatch.GetElapsedTime(0, planningTicks),
                    Stopwatch.GetElapsedTime(start)),
            };
        }
        finally
        {
            ReturnContext(context);
        }
    }

    /// <summary>Records <paramref name="reason"/> for every query the plan now reads completely that had no reason yet.</summary>
    private void MarkExact(RequestContext context, ExactReason reason)
    {
        for (var q = 0; q < _queries.Length; q++)
        {
            if (context.ExactReasons[q] == ExactReason.None && context.Plan[q] >= _partitions)
            {
                context.ExactReasons[q] = reason;
            }
        }

        if (reason == ExactReason.ExactShortcut)
        {
            Array.Fill(context.Plan, _partitions);
        }
    }

    private ErrorBound Bound(PredictOptions? options)
    {
        var definition = Definition.Bound;
        var delta = Definition.Task == PredictionTask.Classification ? 0 : options?.Delta ?? Delta;
        var tau = options?.Tau ?? definition.Tau;
        return definition.Kind switch
        {
            BoundKind.RelativeError => ErrorBound.Relative(delta, tau),
            BoundKind.ErrorAtConfidence => ErrorBound.AtConfidence(tau, delta),
            _ => ErrorBound.Absolute(delta, tau),
        };
    }

    /// <summary>Model inputs from the request and the cursors; an exact but undefined aggregate takes its fill value.</summary>
    private void FillFeatures(RequestContext context, RequestValues values)
    {
        var inputs = Definition.Inputs;
        for (var i = 0; i < inputs.Count; i++)
        {
            var input = inputs[i];
            if (input.Query < 0)
            {
                context.Features[i] = FeatureEstimate.Exact(RequestFeature(input, values));
                continue;
            }

            var estimate = context.Cursors[input.Query].Estimate(input.Aggregate);
            context.Features[i] = estimate.IsExact && !double.IsFinite(estimate.Value)
                ? FeatureEstimate.Exact(Definition.Queries[input.Query].Aggregates[input.Aggregate].Fill)
                : estimate;
        }
    }

    private double RequestFeature(InputDefinition input, RequestValues values)
    {
        var field = IndexOfField(input.Field!);
        return RequestFieldValues.Transform(input.Transform, values.Numbers[field], values.Integers[field]);
    }

    private int IndexOfField(string name)
    {
        var request = Definition.Request;
        for (var i = 0; i < request.Count; i++)
        {
            if (request[i].Name == name)
            {
                return i;
            }
        }

        return -1;
    }

    private bool AllExact(RequestContext context)
    {
        for (var q = 0; q < _queries.Length; q++)
        {
            if (!context.Cursors[q].IsExact)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The model on the current feature values (undefined values replaced by fill values): the exact prediction when all are exact.</summary>
    private double EvaluateSingleRow(RequestContext context)
    {
        for (var i = 0; i < context.Row.Length; i++)
        {
            var v = context.Features[i].Value;
            var input = Definition.Inputs[i];
            context.Row[i] = (float)(double.IsFinite(v) ? v : Definition.Queries[input.Query].Aggregates[input.Aggregate].Fill);
        }

        _model!.Model.Evaluate(context.Row, 1, context.Output);
        return context.Output[0];
    }

    /// <summary>The correlation of every two uncertain inputs of one query, from that query's sample; 0 elsewhere.</summary>
    private void FillCorrelations(RequestContext context)
    {
        var inputs = Definition.Inputs;
        var d = inputs.Count;
        var matrix = context.Correlations.AsSpan();
        matrix.Clear();
        for (var i = 0; i < d; i++)
        {
            matrix[i * d + i] = 1;
            var query = inputs[i].Query;
            if (query < 0 || context.Features[i].IsExact)
            {
                continue;
            }

            for (var j = 0; j < i; j++)
            {
                if (inputs[j].Query == query && !context.Features[j].IsExact)
                {
                    var r = context.Cursors[query].Correlation(inputs[i].Aggregate, inputs[j].Aggregate);
                    matrix[i * d + j] = r;
                    matrix[j * d + i] = r;
                }
            }
        }
    }

    private void Plan(RequestContext context, ReadOnlySpan<double> firstOrder, bool useCosts)
    {
        for (var q = 0; q < _queries.Length; q++)
        {
            var cursor = context.Cursors[q];
            var estimated = (double)context.EstimatedRows[q];
            if (cursor.RowsScanned > 0 && _queries[q].Definition.Filters.Count > 0)
            {
                estimated *= (double)cursor.RowsMatched / cursor.RowsScanned; // filters: scale by the pass rate seen so far
            }

            context.States[q] = new QueryPlanState
            {
                Partitions = cursor.PartitionsRead,
                Sampleable = context.ExactReasons[q] == ExactReason.None,
                FirstOrderIndex = firstOrder.IsEmpty ? 0 : firstOrder[q],
                CostSlope = context.EstimatedRows[q] * _costs.SecondsPerRow(q),
                PriorityCostSlope = context.EstimatedRows[q] * _costs.PrioritySecondsPerRow(q),
                RowsRead = cursor.RowsMatched,
                EstimatedRows = estimated,
                ErrorUnknown = HasUnknownError(context, q),
            };
        }

        // Without measured costs (the shortcut off, or a fixed-fraction run) the plan depends on the request alone.
        var settings = new PlanSettings(
            _partitions, Definition.Planner.StepPartitions, Definition.Planner.MinSupport, useCosts ? _costs.RoundSeconds : 0);
        context.Policy.Plan(context.States, settings, context.Plan, context.Reasons);
        for (var q = 0; q < _queries.Length; q++)
        {
            if (context.ExactReasons[q] == ExactReason.None && context.Plan[q] >= _partitions)
            {
                context.ExactReasons[q] = context.Reasons[q] == PlanReason.CheaperExact ? ExactReason.CheaperToFinish : ExactReason.Widened;
            }
        }
    }

    private bool HasUnknownError(RequestContext context, int query)
    {
        var inputs = Definition.Inputs;
        for (var i = 0; i < inputs.Count; i++)
        {
            if (inputs[i].Query == query && context.Features[i].Error == ErrorKind.Unknown)
            {
                return true;
            }
        }

        return false;
    }

    private QueryOutcome[] Outcomes(RequestContext context, ReadOnlySpan<double> firstOrder)
    {
        var outcomes = new QueryOutcome[_queries.Length];
        for (var q = 0; q < outcomes.Length; q++)
        {
            var cursor = context.Cursors[q];
            outcomes[q] = new QueryOutcome(
                _queries[q].Definition.Name, cursor.Fraction, cursor.RowsScanned, cursor.RowsMatched, context.EstimatedRows[q],
                firstOrder.IsEmpty ? 0 : Math.Clamp(firstOrder[q], 0, 1), cursor.IsExact ? context.ExactReasons[q] : ExactReason.None);
        }

        return outcomes;
    }

    private FeatureOutcome[] FeatureOutcomes(RequestContext context)
    {
        var outcomes = new FeatureOutcome[context.Features.Length];
        for (var i = 0; i < outcomes.Length; i++)
        {
            var f = context.Features[i];
            outcomes[i] = new FeatureOutcome(Definition.Inputs[i].Name, f.Value, f.Error, f.StdError, f.Low, f.High, f.UnknownReason);
        }

        return outcomes;
    }
}
