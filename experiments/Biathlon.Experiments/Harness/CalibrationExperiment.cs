using System.Diagnostics;
using Biathlon.Engine;
using Biathlon.Experiments.Pipelines;
using Biathlon.Experiments.Results;
using Biathlon.Planner.Planning;
using Biathlon.Planner.Propagation;

namespace Biathlon.Experiments.Harness;

/// <summary>
/// Calibration where the bound binds. One pipeline is loaded once per table seed (a "deployment": the same rows,
/// another partition assignment); each test request is served exactly once per deployment and then approximately at
/// every δ (the pipeline's δ divided by each divisor; classification: δ = 0, the label must not change) and τ with
/// <see cref="PredictOptions.ExactShortcut"/> off, so no decision made from measured costs (the exact shortcut,
/// queries started or finished exactly because that looked cheaper) can stand in for the bound. Each cell is judged by
/// <see cref="CalibrationRule"/> on the requests that stopped with the bound met. The τ sweep repeats the δ cells at
/// several τ on one deployment. Requests are served one at a time, exact first, then the approximate cells in order.
/// </summary>
public static class CalibrationExperiment
{
    /// <summary>What a calibration of one pipeline measured.</summary>
    /// <param name="Cells">The pass-rule cells: per table seed and δ, at the pass-rule τ.</param>
    /// <param name="Sweep">The τ sweep: per δ and τ, on the sweep's table seed.</param>
    /// <param name="Records">Every request of every cell served (a sweep cell equal to a pass-rule cell is not served twice).</param>
    public sealed record Outcome(List<CalibrationCell> Cells, List<CalibrationCell> Sweep, List<CalibrationRecord> Records);

    /// <summary>Calibrates the pipeline in <paramref name="pipelineFolder"/> on <paramref name="requests"/>.</summary>
    /// <param name="pipelineFolder">A prepared pipeline folder (spec and model.onnx).</param>
    /// <param name="dataDirectory">What <c>${data}</c> in its table sources stands for.</param>
    /// <param name="requests">Held-out test requests.</param>
    /// <param name="settings">Table seeds, δ divisors, τ and the sweep.</param>
    /// <param name="progress">Receives a line per cell.</param>
    /// <param name="cancellationToken">Stops between requests.</param>
    public static async Task<Outcome> RunAsync(
        string pipelineFolder, string dataDirectory, IReadOnlyList<HarnessRequest> requests, CalibrationSettings settings,
        IProgress<string>? progress, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(requests);
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        if (requests.Count == 0)
        {
            throw new CliException($"calibration of {pipelineFolder}: no test requests", 1);
        }

        var sweepSeed = settings.SweepTaus.Count == 0 ? (int?)null : settings.SweepSeed ?? settings.TableSeeds[0];
        var seeds = settings.TableSeeds.ToList();
        if (sweepSeed is { } s && !seeds.Contains(s))
        {
            seeds.Add(s);
        }

        var outcome = new Outcome([], [], []);
        foreach (var seed in seeds)
        {
            using var engine = await BiathlonEngine.LoadAsync(
                pipelineFolder, new EngineOptions { DataDirectory = dataDirectory, TableSeed = (ulong)seed, Progress = progress },
                cancellationToken).ConfigureAwait(false);
            var deltas = Deltas(engine, settings);
            var tau = settings.Tau ?? engine.Definition.Bound.Tau;
            WarmUp(engine, requests, deltas[0].Delta, tau, settings.WarmUp);
            var exact = ServeExact(engine, requests, cancellationToken);
            var served = new Dictionary<(int Delta, double Tau), CalibrationCell>();
            if (settings.TableSeeds.Contains(seed))
            {
                for (var d = 0; d < deltas.Count; d++)
                {
                    var cell = ServeCell(engine, seed, deltas[d], tau, requests, exact, outcome.Records, progress, cancellationToken);
                    served[(d, tau)] = cell;
                    outcome.Cells.Add(cell);
                }
            }

            if (seed == sweepSeed)
            {
                foreach (var sweepTau in settings.SweepTaus)
                {
                    for (var d = 0; d < deltas.Count; d++)
                    {
                        outcome.Sweep.Add(served.TryGetValue((d, sweepTau), out var cell)
                            ? cell
                            : ServeCell(engine, seed, deltas[d], sweepTau, requests, exact, outcome.Records, progress, cancellationToken));
                    }
                }
            }
        }

        return outcome;
    }

    /// <summary>The δ values to serve: the pipeline's δ over each divisor (regression), or δ = 0 alone (classification).</summary>
    private static List<(string Label, double Delta)> Deltas(BiathlonEngine engine, CalibrationSettings settings)
    {
        var definition = engine.Definition;
        if (definition.Task == PredictionTask.Classification)
        {
            return [("same label", 0)];
        }

        if (!(engine.Delta > 0) || !double.IsFinite(engine.Delta))
        {
            throw new CliException($"calibration of '{definition.Name}': its δ ({engine.Delta}) must be a positive number", 1);
        }

        var name = definition.Bound.DeltaMetadata == "validation_mae" ? "MAE" : "δ";
        return settings.DeltaDivisors
            .Select(divisor => (divisor == 1 ? name : $"{name}/{divisor:0.###}", engine.Delta / divisor))
            .ToList();
    }

    private static void WarmUp(BiathlonEngine engine, IReadOnlyList<HarnessRequest> requests, double delta, double tau, int count)
    {
        var options = Options(engine, delta, tau);
        for (var i = 0; i < Math.Min(count, requests.Count); i++)
        {
            engine.PredictExact(requests[i].ToRequest());
            engine.Predict(requests[i].ToRequest(), options);
        }
    }

    private static (double Value, double Ms)[] ServeExact(BiathlonEngine engine, IReadOnlyList<HarnessRequest> requests, CancellationToken cancellationToken)
    {
        var exact = new (double, double)[requests.Count];
        for (var i = 0; i < requests.Count; i++)
        {
            var request = requests[i].ToRequest();
            var start = Stopwatch.GetTimestamp();
            var result = engine.PredictExact(request, cancellationToken);
            exact[i] = (result.Value, Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }

        return exact;
    }

    private static CalibrationCell ServeCell(
        BiathlonEngine engine, int seed, (string Label, double Delta) delta, double tau, IReadOnlyList<HarnessRequest> requests,
        (double Value, double Ms)[] exact, List<CalibrationRecord> records, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        var definition = engine.Definition;
        var classification = definition.Task == PredictionTask.Classification;
        var options = Options(engine, delta.Delta, tau);
        var cellRecords = new List<CalibrationRecord>(requests.Count);
        for (var i = 0; i < requests.Count; i++)
        {
            var request = requests[i].ToRequest();
            var start = Stopwatch.GetTimestamp();
            var result = engine.Predict(request, options, cancellationToken);
            var ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            var error = Math.Abs(result.Value - exact[i].Value);
            var within = classification ? result.Value == exact[i].Value : error <= delta.Delta;
            cellRecords.Add(new CalibrationRecord(
                definition.Name, seed, delta.Label, delta.Delta, tau, i, result.StopReason.ToString(), result.Value, exact[i].Value,
                error, within, result.Confidence, result.Rounds, MeanSampledFraction(engine, result), ms, exact[i].Ms,
                result.DependsOnMeasuredCosts));
        }

        records.AddRange(cellRecords);
        var cell = Summarise(TaskName(engine), cellRecords);
        progress?.Report($"{cell.Pipeline} seed {seed}, δ = {delta.Label} ({delta.Delta:0.######}), τ = {tau}: " +
                         $"{cell.Within}/{cell.BoundMet} BoundMet within δ ({cell.Share:P1}, margin {cell.Margin:0.0000}) " +
                         $"{(cell.Pass ? "pass" : "FAIL")}; AllExact {cell.AllExact}, MaxRounds {cell.MaxRounds}");
        return cell;
    }

    /// <summary>One cell from its requests' records (all of one pipeline, seed, δ and τ).</summary>
    public static CalibrationCell Summarise(string task, IReadOnlyList<CalibrationRecord> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        if (records.Count == 0)
        {
            throw new ArgumentException("A calibration cell needs at least one request.", nameof(records));
        }

        var first = records[0];
        var boundMet = records.Where(r => r.Stop == nameof(StopReason.BoundMet)).ToList();
        var verdict = CalibrationRule.Evaluate(boundMet.Count, boundMet.Count(r => r.WithinDelta), first.Tau);
        var allExact = records.Count(r => r.Stop == nameof(StopReason.AllExact));
        var maxRounds = records.Count(r => r.Stop == nameof(StopReason.MaxRounds));
        return new CalibrationCell
        {
            Pipeline = first.Pipeline,
            Task = task,
            TableSeed = first.TableSeed,
            DeltaLabel = first.DeltaLabel,
            Delta = first.Delta,
            Tau = first.Tau,
            Requests = records.Count,
            BoundMet = verdict.N,
            Within = verdict.K,
            Share = verdict.Share,
            Margin = verdict.Margin,
            Pass = verdict.Pass,
            AllExact = allExact,
            MaxRounds = maxRounds,
            OtherStops = records.Count - boundMet.Count - allExact - maxRounds,
            ShareAll = (double)records.Count(r => r.WithinDelta) / records.Count,
            MeanConfidence = boundMet.Count == 0 ? double.NaN : boundMet.Average(r => r.Confidence),
            MeanRounds = records.Average(r => r.Rounds),
            MeanFraction = records.Average(r => r.MeanFraction),
            MeanMs = records.Average(r => r.LatencyMs),
            ExactMeanMs = records.Average(r => r.ExactLatencyMs),
            DependedOnCosts = records.Count(r => r.DependsOnMeasuredCosts),
        };
    }

    private static PredictOptions Options(BiathlonEngine engine, double delta, double tau) => new()
    {
        ExactShortcut = false,
        Delta = engine.Definition.Task == PredictionTask.Classification ? null : delta,
        Tau = tau,
    };

    private static double MeanSampledFraction(BiathlonEngine engine, PredictionResult result)
    {
        double sum = 0;
        var count = 0;
        for (var q = 0; q < result.Queries.Count; q++)
        {
            if (engine.Definition.Queries[q].Sampled)
            {
                sum += result.Queries[q].Fraction;
                count++;
            }
        }

        return count == 0 ? 1 : sum / count;
    }

    private static string TaskName(BiathlonEngine engine) =>
        engine.Definition.Task == PredictionTask.Regression ? "regression" : engine.Definition.IsBinary ? "binary" : "multiclass";
}
