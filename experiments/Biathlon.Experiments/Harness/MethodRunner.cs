using System.Diagnostics;
using Biathlon.Engine;
using Biathlon.Engine.Models;
using Biathlon.Experiments.Baselines;
using Biathlon.Experiments.Pipelines;
using Biathlon.Experiments.Results;
using Biathlon.Planner.Propagation;

namespace Biathlon.Experiments.Harness;

/// <summary>
/// Serves one pipeline's test requests with every method, on the same requests, one request at a time: exact,
/// biathlon, fixed-fraction sampling at 5% and 20%, DuckDB exact, and (accuracy only, in stream order) the stale
/// feature cache. A method that follows another on the same request finds its rows in the CPU caches, so the order is
/// drawn at random per request (seeded): each method follows each other equally often. (A fixed rotation keeps the
/// cyclic order, so one method would always follow the same one: biathlon right after exact read warm rows.)
/// With <see cref="Options.ClickHouse"/> on, the ClickHouse baselines run too (<see cref="ClickHouseExact"/> and
/// <see cref="ClickHouseApprox"/>): the pipeline's tables are loaded into a ClickHouse server, the one in
/// <see cref="Options.ClickHouseServer"/> (shared by every pipeline of a run) or one started for this call and stopped
/// after it. When no server can start (not installed), both are skipped with a progress line, never replaced.
/// <para>
/// Before serving, the engine's exact path reads every test request once (untimed): a request the engine refuses
/// (a <see cref="RequestException"/>: an unknown key under <c>unknownKeys: "error"</c>, a category outside the declared
/// ones, a missing value without a fill, a window bound out of range, ...) is served by no method and named in a
/// progress line, so every method answers the same requests (the SQL baselines do not look key values up). The same
/// pass records each request's δ as the engine reports it (<see cref="PredictionResult.Delta"/>: the request's own δ
/// with <c>bound.deltaField</c>, δ·|ŷ| for a relative bound), which "agreement with exact" uses.
/// </para>
/// </summary>
public static class MethodRunner
{
    /// <summary>Method name of the exact ClickHouse baseline (one SQL statement per feature query).</summary>
    public const string ClickHouseExact = "clickhouse-exact";

    /// <summary>Method name of the original system's approximation on ClickHouse (partition-id ranges, our planner).</summary>
    public const string ClickHouseApprox = "clickhouse-approx";

    /// <summary>Which methods to run.</summary>
    /// <param name="DuckDb">Run the DuckDB exact baseline.</param>
    /// <param name="StaleCache">Run the stale feature cache (accuracy only).</param>
    /// <param name="WarmUp">Requests served by every method before the measured ones.</param>
    /// <param name="Seed">Seed of the per-request method order.</param>
    /// <param name="ClickHouse">Run clickhouse-exact and clickhouse-approx (default off: they need clickhouse-server).</param>
    /// <param name="ClickHouseServer">A running server to load the tables into (not disposed here); null starts one per call.</param>
    public sealed record Options(
        bool DuckDb = true, bool StaleCache = true, int WarmUp = 10, int Seed = 0, bool ClickHouse = false, ClickHouseServer? ClickHouseServer = null);

    private delegate (double Value, int Rounds, double Fraction, double SamplingMs, double PropagationMs, double PlanningMs, string Stop) Method(HarnessRequest request);

    public static (List<MethodSummary> Summaries, List<RequestRecord> Records) Run(
        BiathlonEngine engine, IPipelineRecipe recipe, IReadOnlyList<HarnessRequest> test, Options options, IProgress<string>? progress)
    {
        var definition = engine.Definition;
        using var model = OnnxModel.Load(definition.ModelFile, definition.Task);
        using var duck = options.DuckDb ? DuckDbFeatures.Open(definition) : null;
        var features = new float[definition.Inputs.Count];
        var output = new float[1];

        var (accepted, deltas) = Validate(engine, recipe.Name, test, progress);
        var methods = new List<(string Name, Method Serve)>
        {
            ("exact", r => FromEngine(engine, engine.PredictExact(r.ToRequest()))),
            ("biathlon", r => FromEngine(engine, engine.Predict(r.ToRequest()))),
            ("fixed-5%", r => FromEngine(engine, engine.Predict(r.ToRequest(), new PredictOptions { FixedFraction = 0.05 }))),
            ("fixed-20%", r => FromEngine(engine, engine.Predict(r.ToRequest(), new PredictOptions { FixedFraction = 0.20 }))),
        };
        if (duck is not null)
        {
            methods.Add(("duckdb", DuckDb));
        }

        using var ownServer = options.ClickHouse && options.ClickHouseServer is null ? TryStartClickHouse(progress) : null;
        var server = options.ClickHouse ? options.ClickHouseServer ?? ownServer : null;
        ClickHouseExactFeatures? clickHouseExact = null;
        ClickHouseApproximate? clickHouseApprox = null;
        if (server is not null)
        {
            var pipeline = ClickHousePipeline.LoadAsync(server, definition, progress).GetAwaiter().GetResult();
            clickHouseExact = new ClickHouseExactFeatures(pipeline);
            clickHouseApprox = new ClickHouseApproximate(pipeline, model, engine.Delta); // NaN with deltaField: δ per request
            methods.Add((ClickHouseExact, ClickHouseExactMethod));
            methods.Add((ClickHouseApprox, ClickHouseApproxMethod));
        }

        // ClickHouse computes the features with one statement per query over HTTP; the model then runs once.
        (double, int, double, double, double, double, string) ClickHouseExactMethod(HarnessRequest r)
        {
            var start = Stopwatch.GetTimestamp();
            clickHouseExact!.ComputeFeatures(r.Fields, features);
            var computed = Stopwatch.GetTimestamp();
            model.EvaluateRowMajor(features, 1, output);
            return (output[0], 1, 1, Stopwatch.GetElapsedTime(start, computed).TotalMilliseconds, Stopwatch.GetElapsedTime(computed).TotalMilliseconds, 0, "SQL");
        }

        (double, int, double, double, double, double, string) ClickHouseApproxMethod(HarnessRequest r)
        {
            var result = clickHouseApprox!.Predict(r.Fields);
            return (result.Value, result.Rounds, result.MeanFraction, result.Sampling.TotalMilliseconds, result.Propagation.TotalMilliseconds,
                result.Planning.TotalMilliseconds, result.Stop.ToString());
        }

        // DuckDB computes the features in SQL; the model then runs on them once, as in exact serving.
        (double, int, double, double, double, double, string) DuckDb(HarnessRequest r)
        {
            var start = Stopwatch.GetTimestamp();
            duck!.ComputeFeatures(r.Fields, features);
            var computed = Stopwatch.GetTimestamp();
            model.EvaluateRowMajor(features, 1, output);
            return (output[0], 1, 1, Stopwatch.GetElapsedTime(start, computed).TotalMilliseconds, Stopwatch.GetElapsedTime(computed).TotalMilliseconds, 0, "SQL");
        }

        foreach (var warm in accepted.Take(options.WarmUp).Select(i => test[i]))
        {
            foreach (var (_, serve) in methods)
            {
                serve(warm);
            }
        }

        var records = new List<RequestRecord>();
        var random = new Random(options.Seed);
        var order = Enumerable.Range(0, methods.Count).ToArray();
        for (var served = 0; served < accepted.Count; served++)
        {
            var i = accepted[served];
            random.Shuffle(order);
            foreach (var m in order)
            {
                var (name, serve) = methods[m];
                var start = Stopwatch.GetTimestamp();
                var result = serve(test[i]);
                var latency = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                records.Add(new RequestRecord(recipe.Name, name, i, test[i].Label, result.Value, latency, result.Rounds, result.Fraction,
                    result.SamplingMs, result.PropagationMs, result.PlanningMs, result.Stop));
            }

            if ((served + 1) % 50 == 0 || served + 1 == accepted.Count)
            {
                progress?.Report($"{recipe.Name}: served {served + 1}/{accepted.Count} requests with {methods.Count} methods");
            }
        }

        if (options.StaleCache)
        {
            var cache = new StaleFeatureCache(engine, model, recipe.StaleCacheRefreshesPerHour);
            foreach (var (request, i) in accepted.Select(i => (test[i], i)).OrderBy(p => p.Item1.Time))
            {
                records.Add(new RequestRecord(recipe.Name, "stale-cache", i, request.Label, cache.Serve(request), double.NaN, 1, 1, 0, 0, 0, "cache"));
            }

            progress?.Report($"{recipe.Name}: stale cache served {accepted.Count} requests with {cache.Refreshes} refreshes");
        }

        return (Summarise(engine, recipe.Name, records, deltas), records);
    }

    /// <summary>
    /// The test requests the engine serves (indices into <paramref name="test"/>) and each one's δ as the engine's exact
    /// path reports it; a refused request is left out and reported.
    /// </summary>
    private static (List<int> Accepted, Dictionary<int, double> Deltas) Validate(
        BiathlonEngine engine, string pipeline, IReadOnlyList<HarnessRequest> test, IProgress<string>? progress)
    {
        var accepted = new List<int>(test.Count);
        var deltas = new Dictionary<int, double>(test.Count);
        var refused = new List<string>();
        for (var i = 0; i < test.Count; i++)
        {
            try
            {
                deltas[i] = engine.PredictExact(test[i].ToRequest()).Delta;
                accepted.Add(i);
            }
            catch (RequestException e)
            {
                refused.Add($"request {i}: {e.Message}");
            }
        }

        if (refused.Count > 0)
        {
            progress?.Report($"{pipeline}: the engine refuses {refused.Count}/{test.Count} test requests; no method serves them "
                + $"({string.Join("; ", refused.Take(3))}{(refused.Count > 3 ? "; …" : "")})");
        }

        return (accepted, deltas);
    }

    /// <summary>
    /// Starts a ClickHouse server for the ClickHouse methods (pass it as <see cref="Options.ClickHouseServer"/> to every
    /// pipeline of a run, and dispose it after), or returns null, with the reason reported, when none can start here.
    /// </summary>
    public static ClickHouseServer? TryStartClickHouse(IProgress<string>? progress)
    {
        try
        {
            return ClickHouseServer.StartAsync().GetAwaiter().GetResult();
        }
        catch (ClickHouseUnavailableException e)
        {
            progress?.Report($"clickhouse: skipping {ClickHouseExact} and {ClickHouseApprox}: {e.Message}");
            return null;
        }
    }

    private static (double, int, double, double, double, double, string) FromEngine(BiathlonEngine engine, PredictionResult result)
    {
        var sampled = result.Queries.Where((_, q) => engine.Definition.Queries[q].Sampled).ToArray();
        var fraction = sampled.Length == 0 ? 1 : sampled.Average(q => q.Fraction);
        var t = result.Timings;
        return (result.Value, result.Rounds, fraction, t.Sampling.TotalMilliseconds, t.Propagation.TotalMilliseconds, t.Planning.TotalMilliseconds, result.StopReason.ToString());
    }

    /// <summary>
    /// Per-method summaries; agreement and speedup are against the exact method on the same requests. A regression
    /// answer agrees when it lies within δ of the exact one: the request's δ from <paramref name="deltas"/> (by request
    /// index, as the engine's exact path reports it), else the pipeline's <see cref="BiathlonEngine.Delta"/>.
    /// </summary>
    public static List<MethodSummary> Summarise(
        BiathlonEngine engine, string pipeline, IReadOnlyList<RequestRecord> records, IReadOnlyDictionary<int, double>? deltas = null)
    {
        var classification = engine.Definition.Task == PredictionTask.Classification;
        var exact = records.Where(r => r.Method == "exact").ToDictionary(r => r.Request);
        var exactMean = exact.Values.Average(r => r.LatencyMs);
        var summaries = new List<MethodSummary>();
        foreach (var group in records.GroupBy(r => r.Method))
        {
            var rows = group.OrderBy(r => r.Request).ToArray();
            var labels = rows.Select(r => (float)r.Label).ToArray();
            var values = rows.Select(r => (float)r.Value).ToArray();
            var agree = rows.Count(r => classification
                ? Math.Round(r.Value) == Math.Round(exact[r.Request].Value)
                : Math.Abs(r.Value - exact[r.Request].Value) <= (deltas is not null && deltas.TryGetValue(r.Request, out var delta) ? delta : engine.Delta));
            var measured = rows.All(r => double.IsFinite(r.LatencyMs));
            var latencies = measured ? rows.Select(r => r.LatencyMs).ToArray() : [];
            var total = measured ? latencies.Sum() : 1;
            var sampling = rows.Sum(r => r.SamplingMs);
            var propagation = rows.Sum(r => r.PropagationMs);
            var planning = rows.Sum(r => r.PlanningMs);
            summaries.Add(new MethodSummary
            {
                Pipeline = pipeline,
                Method = group.Key,
                Requests = rows.Length,
                LatencyMeasured = measured,
                MeanMs = measured ? latencies.Average() : double.NaN,
                P50Ms = measured ? Metrics.Percentile(latencies, 0.5) : double.NaN,
                P95Ms = measured ? Metrics.Percentile(latencies, 0.95) : double.NaN,
                P99Ms = measured ? Metrics.Percentile(latencies, 0.99) : double.NaN,
                Speedup = measured ? exactMean / latencies.Average() : double.NaN,
                AccuracyMetric = classification ? "F1" : "R2",
                Accuracy = classification ? Metrics.F1(labels, values) : Metrics.RSquared(labels, values),
                AgreementWithExact = (double)agree / rows.Length,
                MeanFraction = rows.Average(r => r.MeanFraction),
                MeanRounds = rows.Average(r => r.Rounds),
                SamplingShare = measured ? sampling / total : double.NaN,
                PropagationShare = measured ? propagation / total : double.NaN,
                PlanningShare = measured ? planning / total : double.NaN,
                OtherShare = measured ? Math.Max(0, total - sampling - propagation - planning) / total : double.NaN,
            });
        }

        return summaries;
    }
}
