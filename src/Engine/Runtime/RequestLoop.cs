using System.Diagnostics;
using Biathlon.Engine.Specs;
using Biathlon.Planner.Planning;
using Biathlon.Planner.Propagation;
using Biathlon.Sampling.Errors;
using Biathlon.Sampling.Estimators;

namespace Biathlon.Engine.Runtime;

/// <summary>
/// The online loop of one request on a loaded pipeline: widen samples, estimate features, propagate, test the bound,
/// plan. All per-request state lives in the caller's <see cref="RequestContext"/>; the loop itself holds none, so one
/// instance serves concurrent requests. Approximate and exact serving share it.
/// </summary>
internal sealed class RequestLoop(LoadedPipeline pipeline)
{
    private readonly LoadedPipeline _pipeline = pipeline;
    private readonly PipelineDefinition _definition = pipeline.Definition;

    /// <summary>
    /// Serves one request. Completes synchronously unless a table is remote: then each round awaits its one batched
    /// fetch of the new partitions.
    /// </summary>
    public async ValueTask<PredictionResult> RunAsync(RequestContext context, IReadOnlyDictionary<string, object?> request, PredictOptions? options, bool exact, CancellationToken cancellationToken)
    {
        // While the request runs, device launches may wait (a bounded time) for it to join them.
        var compute = _pipeline.Compute;
        context.ComputeUse.Reset();
        context.Fetch.Reset();
        compute.EnterRequest();
        try
        {
            return await RunRoundsAsync(context, request, options, exact, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            compute.ExitRequest();
        }
    }

    private async ValueTask<PredictionResult> RunRoundsAsync(RequestContext context, IReadOnlyDictionary<string, object?> request, PredictOptions? options, bool exact, CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        context.PinnedIndexes.Clear();
        var model = _pipeline.Model
            ?? throw new InvalidOperationException($"Pipeline '{_definition.Name}' was loaded without its model (EngineOptions.LoadModel = false).");
        var values = _pipeline.ReadRequest(context, request);
        var seed = values.Digest(_definition.Planner.Seed);
        var bound = Bound(options, values);
        var planner = _definition.Planner;
        var termination = new TerminationRule(bound, options?.MaxRounds ?? planner.MaxRounds, options?.Deadline);
        var fixedFraction = options?.FixedFraction;
        if (fixedFraction is { } z && !(z > 0 && z <= 1))
        {
            throw new QueryException("FixedFraction", $"A fixed sample fraction must lie in (0, 1] (got {z}).");
        }

        var useCosts = !exact && fixedFraction is null && (options?.ExactShortcut ?? planner.ExactShortcut);
        var initial = Math.Max(1, (int)Math.Ceiling((fixedFraction ?? planner.InitialFraction) * _pipeline.Partitions - 1e-9));
        for (var q = 0; q < _pipeline.Queries.Length; q++)
        {
            var query = _pipeline.Queries[q];
            var cursor = context.OpenCursor(q, query, values, _pipeline.EstimatorOptions, RequestStreams.PartitionOrder(seed, q));
            if (query.Layout.IsRemote)
            {
                // Every query of a table reads by one snapshot of its indexes, taken once per request: an append
                // published meanwhile is in all of them or in none.
                cursor.Pin(context.RemoteIndexes(query.Table)[query.Layout.RemoteOrdinal]);
            }

            context.EstimatedRows[q] = query.EstimateRows(cursor);
            context.ExactReasons[q] = exact ? ExactReason.ExactRequest
                : !query.Definition.Sampled ? ExactReason.NotSampled
                : query.HasNotEstimable ? ExactReason.NotEstimable
                : ExactReason.None;
            context.Plan[q] = context.ExactReasons[q] == ExactReason.None
                ? InitialPartitions(query, initial, context.EstimatedRows[q], rowsRule: fixedFraction is null)
                : _pipeline.Partitions;
            if (context.ExactReasons[q] == ExactReason.None && context.Plan[q] >= _pipeline.Partitions)
            {
                context.ExactReasons[q] = ExactReason.FullInitialFraction;
            }

            context.QueryTicks[q] = 0;
        }

        context.Policy.BeginRequest(seed);

        var shortcut = false;
        if (useCosts && Array.IndexOf(context.ExactReasons, ExactReason.None) >= 0)
        {
            if (!RequestStreams.Explores(seed) && _pipeline.Costs.ExactIsCheaper(context.EstimatedRows, context.Plan, _pipeline.Partitions))
            {
                shortcut = true;
                MarkExact(context, ExactReason.ExactShortcut);
            }
            else
            {
                // Queries whose whole read costs less than a QMC round start exact: sampling them would only add rounds.
                _pipeline.Costs.StartCheapQueriesExact(context.EstimatedRows, context.Plan, _pipeline.Partitions);
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
        var plan = new List<RoundPlan>(4);
        while (true)
        {
            rounds++;
            var t0 = Stopwatch.GetTimestamp();
            long fetchTicks = 0;
            if (_pipeline.RemoteSources.Length > 0)
            {
                await FetchAsync(context, cancellationToken).ConfigureAwait(false);
                fetchTicks = Stopwatch.GetTimestamp() - t0;
            }

            if (_pipeline.Compute.Aggregates is { } device && _pipeline.Compute.DeviceUsable)
            {
                WidenOnDevice(context, device);
            }
            else
            {
                WidenOnCpu(context, fetchTicks);
            }

            FillFeatures(context);
            var t1 = Stopwatch.GetTimestamp();
            samplingTicks += t1 - t0;
            var partitionsRead = context.Plan.AsSpan(0, _pipeline.Queries.Length).ToArray();

            if (fixedFraction is not null && !AllExact(context))
            {
                value = EvaluateSingleRow(context);
                propagationTicks += Stopwatch.GetTimestamp() - t1;
                stop = StopReason.FixedFraction;
                kind = ValueKind.PointEstimates;
                plan.Add(new RoundPlan(rounds, partitionsRead, double.NaN));
                break;
            }

            if (AllExact(context))
            {
                value = EvaluateSingleRow(context);
                var t2 = Stopwatch.GetTimestamp();
                propagationTicks += t2 - t1;
                _pipeline.Costs.ObserveSingleRow(Stopwatch.GetElapsedTime(t1, t2).TotalSeconds);
                stop = StopReason.AllExact;
                kind = ValueKind.ExactModel;
                plan.Add(new RoundPlan(rounds, partitionsRead, 1));
                break;
            }

            FillCorrelations(context);
            result = context.Propagator.Propagate(
                context.Features, ModelForDesigns(context, model.Model), _definition.Task, bound, RequestStreams.DesignSeed(seed, rounds), context.Correlations);
            propagated = !result.IsIndeterminate;
            sensitivityMeasured |= propagated;
            if (propagated)
            {
                context.Propagator.FirstOrderIndices.CopyTo(context.FirstOrder);
            }
            var t3 = Stopwatch.GetTimestamp();
            propagationTicks += t3 - t1;
            plan.Add(new RoundPlan(rounds, partitionsRead, result.IsIndeterminate ? double.NaN : result.Confidence));
            if (!result.IsIndeterminate)
            {
                _pipeline.Costs.ObserveRound(Stopwatch.GetElapsedTime(t1, t3).TotalSeconds);
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
                    kind = _definition.Task == PredictionTask.Classification ? ValueKind.QmcMode : ValueKind.QmcMean;
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
        var classification = _definition.Task == PredictionTask.Classification;
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
            ModelRuntime = model.Runtime,
            Queries = Outcomes(context, sensitivityMeasured ? context.FirstOrder : default),
            Features = FeatureOutcomes(context),
            Plan = plan,
            Partitions = _pipeline.Partitions,
            Compute = ComputeUse(context),
            Store = StoreUse(context),
            Timings = new StageTimings(
                Stopwatch.GetElapsedTime(0, samplingTicks),
                Stopwatch.GetElapsedTime(0, propagationTicks),
                Stopwatch.GetElapsedTime(0, planningTicks),
                Stopwatch.GetElapsedTime(start)),
        };
    }

    /// <summary>
    /// Widens every query's cursor to its plan on the CPU, timing each for the cost statistics. The round's fetch from
    /// a remote store (<paramref name="fetchTicks"/>, one batch for all queries) is shared among the remote queries by
    /// the rows each read, so the cost model sees what a remote row costs.
    /// </summary>
    private void WidenOnCpu(RequestContext context, long fetchTicks)
    {
        var queries = _pipeline.Queries.Length;
        Span<long> rowsRead = queries <= 64 ? stackalloc long[queries] : new long[queries];
        Span<long> ticks = queries <= 64 ? stackalloc long[queries] : new long[queries];
        long remoteRows = 0;
        for (var q = 0; q < queries; q++)
        {
            var cursor = context.Cursors[q];
            var rowsBefore = cursor.RowsScanned;
            var q0 = Stopwatch.GetTimestamp();
            cursor.WidenToPartitions(context.Plan[q]);
            ticks[q] = Stopwatch.GetTimestamp() - q0;
            context.QueryTicks[q] += ticks[q];
            rowsRead[q] = cursor.RowsScanned - rowsBefore;
            remoteRows += _pipeline.Queries[q].Table.IsRemote ? rowsRead[q] : 0;
            if (fetchTicks == 0)
            {
                _pipeline.Costs.ObserveRows(q, rowsRead[q], Stopwatch.GetElapsedTime(0, ticks[q]).TotalSeconds);
            }
        }

        if (fetchTicks == 0)
        {
            return;
        }

        for (var q = 0; q < queries; q++)
        {
            var share = _pipeline.Queries[q].Table.IsRemote && remoteRows > 0 ? (long)(fetchTicks * ((double)rowsRead[q] / remoteRows)) : 0;
            context.QueryTicks[q] += share;
            _pipeline.Costs.ObserveRows(q, rowsRead[q], Stopwatch.GetElapsedTime(0, ticks[q] + share).TotalSeconds);
        }
    }

    /// <summary>
    /// Brings every remote query's new partitions for this round, one batch per store: the census on a cursor's first
    /// widening, then the partitions its plan adds. Nothing reaches a cursor unless the whole batch arrived intact.
    /// </summary>
    private async ValueTask FetchAsync(RequestContext context, CancellationToken cancellationToken)
    {
        var batch = context.Fetch;
        foreach (var source in _pipeline.RemoteSources)
        {
            batch.Clear();
            for (var q = 0; q < _pipeline.Queries.Length; q++)
            {
                if (ReferenceEquals(_pipeline.Queries[q].Table.Source, source))
                {
                    batch.Add(context.Cursors[q], context.Plan[q]);
                }
            }

            await source.FetchAsync(batch, cancellationToken).ConfigureAwait(false);
        }

        batch.Clear();
    }

    /// <summary>What the request fetched from remote stores (nothing for in-process tables).</summary>
    private StoreUse StoreUse(RequestContext context)
    {
        if (_pipeline.RemoteSources.Length == 0)
        {
            return Engine.StoreUse.InProcess;
        }

        var fetch = context.Fetch;
        return new StoreUse(_pipeline.RemoteSources[0].Description, fetch.Values, fetch.Bytes, fetch.CacheHits, fetch.Elapsed);
    }

    /// <summary>
    /// Widens every query's cursor through the device in one submission (the queries share a launch, and concurrent
    /// requests may share it too). The round's time is shared among the queries by the rows each read, since one
    /// launch serves them all.
    /// </summary>
    private void WidenOnDevice(RequestContext context, Compute.DeviceAggregates device)
    {
        var queries = _pipeline.Queries.Length;
        Span<long> before = queries <= 64 ? stackalloc long[queries] : new long[queries];
        for (var q = 0; q < queries; q++)
        {
            before[q] = context.Cursors[q].RowsScanned;
        }

        var t0 = Stopwatch.GetTimestamp();
        device.Widen(context, queries);
        var elapsed = Stopwatch.GetTimestamp() - t0;
        long total = 0;
        for (var q = 0; q < queries; q++)
        {
            total += context.Cursors[q].RowsScanned - before[q];
        }

        for (var q = 0; q < queries; q++)
        {
            var rows = context.Cursors[q].RowsScanned - before[q];
            var share = total > 0 ? (long)(elapsed * ((double)rows / total)) : elapsed / queries;
            context.QueryTicks[q] += share;
            _pipeline.Costs.ObserveRows(q, rows, Stopwatch.GetElapsedTime(0, share).TotalSeconds);
        }
    }

    /// <summary>The model the propagator evaluates designs with: the device's (through this context's launcher) while it is usable, else the CPU's.</summary>
    private IBatchModel ModelForDesigns(RequestContext context, IBatchModel cpu)
    {
        if (_pipeline.Compute.Model is not { } device)
        {
            return cpu;
        }

        if (!device.UsesDevice)
        {
            context.ComputeUse.FellBack("model on the CPU: the device failed earlier");
            return cpu;
        }

        return context.DeviceModel ??= device.ForRequest(context.ComputeUse);
    }

    /// <summary>Where this request ran, for its result; a device that failed before the request counts as its fallback.</summary>
    private Compute.ComputeUse ComputeUse(RequestContext context)
    {
        var compute = _pipeline.Compute;
        if (compute.Aggregates is not null && !compute.DeviceUsable && !context.ComputeUse.Aggregates)
        {
            context.ComputeUse.FellBack("aggregates on the CPU: the device failed earlier");
        }

        return context.ComputeUse.ToResult(compute.Backend);
    }

    /// <summary>Records <paramref name="reason"/> for every query the plan now reads completely that had no reason yet.</summary>
    private void MarkExact(RequestContext context, ExactReason reason)
    {
        for (var q = 0; q < _pipeline.Queries.Length; q++)
        {
            if (context.ExactReasons[q] == ExactReason.None && context.Plan[q] >= _pipeline.Partitions)
            {
                context.ExactReasons[q] = reason;
            }
        }

        if (reason == ExactReason.ExactShortcut)
        {
            Array.Fill(context.Plan, _pipeline.Partitions);
        }
    }

    /// <summary>The request's bound: δ from the options, else the request's δ field, else the pipeline's.</summary>
    private ErrorBound Bound(PredictOptions? options, RequestValues values)
    {
        var definition = _definition.Bound;
        var deltaField = _pipeline.RequestInputs.DeltaField;
        var delta = _definition.Task == PredictionTask.Classification ? 0
            : options?.Delta ?? (deltaField >= 0 ? values.Numbers[deltaField] : _pipeline.Delta);
        var tau = options?.Tau ?? definition.Tau;
        return definition.Kind switch
        {
            BoundKind.RelativeError => ErrorBound.Relative(delta, tau),
            BoundKind.ErrorAtConfidence => ErrorBound.AtConfidence(tau, delta),
            _ => ErrorBound.Absolute(delta, tau),
        };
    }

    /// <summary>
    /// Model inputs from the request (computed once, by <see cref="LoadedPipeline.ReadRequest"/>) and the cursors; an
    /// exact but undefined aggregate takes its fill value.
    /// </summary>
    public void FillFeatures(RequestContext context)
    {
        var inputs = _definition.Inputs;
        for (var i = 0; i < inputs.Count; i++)
        {
            var input = inputs[i];
            if (input.Query < 0)
            {
                context.Features[i] = FeatureEstimate.Exact(context.RequestInputValues[i]);
                continue;
            }

            var estimate = context.Cursors[input.Query].Estimate(input.Aggregate);
            context.Features[i] = estimate.IsExact && !double.IsFinite(estimate.Value)
                ? FeatureEstimate.Exact(_definition.Queries[input.Query].Aggregates[input.Aggregate].Fill)
                : estimate;
        }
    }

    private bool AllExact(RequestContext context)
    {
        for (var q = 0; q < _pipeline.Queries.Length; q++)
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
            var input = _definition.Inputs[i];
            context.Row[i] = (float)(double.IsFinite(v) ? v : _definition.Queries[input.Query].Aggregates[input.Aggregate].Fill);
        }

        _pipeline.Model!.Model.Evaluate(context.Row, 1, context.Output);
        return context.Output[0];
    }

    /// <summary>The correlation of every two uncertain inputs of one query, from that query's sample; 0 elsewhere.</summary>
    private void FillCorrelations(RequestContext context)
    {
        var inputs = _definition.Inputs;
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

    /// <summary>
    /// A sampled query's first plan: the initial fraction's partitions, or fewer when the window is so large that fewer
    /// are expected to hold <see cref="PlannerDefinition.InitialRows"/> rows (rows go to partitions at random, so each
    /// holds about 1/P of them). Filtered queries keep the fraction, their pass rate unknown before the first read; so does
    /// an initial fraction of 1, which asks for every query complete from the start.
    /// </summary>
    private int InitialPartitions(CompiledQuery query, int fromFraction, long estimatedRows, bool rowsRule)
    {
        var partitions = _pipeline.Partitions;
        var planned = Math.Min(fromFraction, partitions);
        var enoughRows = _definition.Planner.InitialRows;
        if (!rowsRule || enoughRows <= 0 || estimatedRows <= 0 || planned >= partitions || query.Definition.Filters.Count > 0)
        {
            return planned;
        }

        var forRows = Math.Ceiling((double)enoughRows * partitions / estimatedRows);
        return forRows < planned ? Math.Max(1, (int)forRows) : planned;
    }

    private void Plan(RequestContext context, ReadOnlySpan<double> firstOrder, bool useCosts)
    {
        for (var q = 0; q < _pipeline.Queries.Length; q++)
        {
            var cursor = context.Cursors[q];
            var estimated = (double)context.EstimatedRows[q];
            if (cursor.RowsScanned > 0 && _pipeline.Queries[q].Definition.Filters.Count > 0)
            {
                estimated *= (double)cursor.RowsMatched / cursor.RowsScanned; // filters: scale by the pass rate seen so far
            }

            context.States[q] = new QueryPlanState
            {
                Partitions = cursor.PartitionsRead,
                Sampleable = context.ExactReasons[q] == ExactReason.None,
                FirstOrderIndex = firstOrder.IsEmpty ? 0 : firstOrder[q],
                CostSlope = context.EstimatedRows[q] * _pipeline.Costs.SecondsPerRow(q),
                PriorityCostSlope = context.EstimatedRows[q] * _pipeline.Costs.PrioritySecondsPerRow(q),
                RowsRead = cursor.RowsMatched,
                EstimatedRows = estimated,
                ErrorUnknown = HasUnknownError(context, q),
            };
        }

        // Without measured costs (the shortcut off, or a fixed-fraction run) the plan depends on the request alone.
        var settings = new PlanSettings(
            _pipeline.Partitions, _definition.Planner.StepPartitions, _definition.Planner.MinSupport, useCosts ? _pipeline.Costs.RoundSeconds : 0);
        context.Policy.Plan(context.States, settings, context.Plan, context.Reasons);
        for (var q = 0; q < _pipeline.Queries.Length; q++)
        {
            if (context.ExactReasons[q] == ExactReason.None && context.Plan[q] >= _pipeline.Partitions)
            {
                context.ExactReasons[q] = context.Reasons[q] == PlanReason.CheaperExact ? ExactReason.CheaperToFinish : ExactReason.Widened;
            }
        }
    }

    private bool HasUnknownError(RequestContext context, int query)
    {
        var inputs = _definition.Inputs;
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
        var outcomes = new QueryOutcome[_pipeline.Queries.Length];
        for (var q = 0; q < outcomes.Length; q++)
        {
            var cursor = context.Cursors[q];
            outcomes[q] = new QueryOutcome(
                _pipeline.Queries[q].Definition.Name, cursor.Fraction, cursor.RowsScanned, cursor.RowsMatched, context.EstimatedRows[q],
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
            outcomes[i] = new FeatureOutcome(_definition.Inputs[i].Name, f.Value, f.Error, f.StdError, f.Low, f.High, f.UnknownReason);
        }

        return outcomes;
    }
}
