using Biathlon.Engine.Models;
using Biathlon.Planner.Planning;
using Biathlon.Planner.Propagation;
using Biathlon.Sampling.Estimators;
using Xunit.Abstractions;

namespace Biathlon.Engine.Tests;

/// <summary>
/// A result tells the truth about what it achieved, for every bound kind (absolute, relative, error at confidence) and
/// every stop reason (bound met, all exact, deadline, round limit, fixed fraction, and a last round that could not
/// propagate because a feature's error was unknown). Real Flight-Delay pipeline and model; the bound kind comes from a
/// modified copy of its spec (<see cref="FlightDelayVariant"/>); held-out June requests, the count stated per test.
/// Every result passes <see cref="AssertHonest"/>: the requested bound is never reported as achieved unless the last
/// round measured it, <see cref="PredictionResult.ValueKind"/> matches the stop reason, and point-estimate and exact
/// values are recomputed independently (the ONNX model on the reported features; <see cref="BiathlonEngine.PredictExact"/>).
/// </summary>
[Collection(FlightDelayCollection.Name)]
public sealed class ResultHonestyTests(FlightDelayFixture pipeline, ITestOutputHelper output)
{
    private const double RelativeFloor = 1e-9;

    public static TheoryData<string> Kinds => new() { "absolute", "relative", "errorAtConfidence" };

    /// <summary>12 requests, a loose bound, the shortcut off: at least 10 stop BoundMet and every one meets what it reports.</summary>
    [Theory]
    [MemberData(nameof(Kinds))]
    public void BoundMet_results_on_12_requests_meet_the_bound_they_report(string kind)
    {
        var (loose, _, tau) = Bounds(kind);
        using var variant = new FlightDelayVariant(pipeline, FlightDelayVariant.Bound(kind, loose, tau));
        using var model = LoadModel(variant.Engine);
        var met = 0;
        foreach (var request in Requests(0, 12))
        {
            var result = variant.Engine.Predict(request, new PredictOptions { ExactShortcut = false });
            AssertHonest(result, variant.Engine, request, kind, loose, tau, model);
            Assert.Contains(result.StopReason, new[] { StopReason.BoundMet, StopReason.AllExact });
            met += result.StopReason == StopReason.BoundMet ? 1 : 0;
        }

        output.WriteLine($"{kind}: {met} of 12 BoundMet");
        Assert.True(met >= 10, $"only {met} of 12 requests stopped BoundMet");
    }

    /// <summary>
    /// 8 requests, a bound too tight to meet, at most 8 rounds: every stop reports the bound missed (confidence below τ,
    /// error at τ above δ) or, when the last round could not propagate, no confidence at all; at least 4 propagated.
    /// </summary>
    [Theory]
    [MemberData(nameof(Kinds))]
    public void MaxRounds_stops_on_8_requests_report_the_bound_missed_and_what_was_achieved(string kind)
    {
        var (_, tight, tau) = Bounds(kind);
        using var variant = new FlightDelayVariant(pipeline, FlightDelayVariant.Bound(kind, tight, tau));
        using var model = LoadModel(variant.Engine);
        int stopped = 0, propagated = 0;
        foreach (var request in Requests(0, 8))
        {
            var result = variant.Engine.Predict(request, new PredictOptions { ExactShortcut = false, MaxRounds = 8 });
            AssertHonest(result, variant.Engine, request, kind, tight, tau, model);
            if (result.StopReason == StopReason.MaxRounds)
            {
                stopped++;
                Assert.Equal(8, result.Rounds);
                propagated += result.ValueKind == ValueKind.QmcMean ? 1 : 0;
            }
        }

        output.WriteLine($"{kind}: {stopped} of 8 stopped at the round limit, {propagated} of them after a propagated round");
        Assert.True(stopped >= 6, $"only {stopped} of 8 requests hit the round limit");
        Assert.True(propagated >= 4, $"only {propagated} round-limit stops propagated their last round");
    }

    /// <summary>
    /// A deadline of one tick, 6 requests each: on a spec whose first round cannot propagate (1% initial fraction) every
    /// stop reports point estimates and no confidence; on one whose first round usually can (only the 7-day and the
    /// origin 30-day queries sampled, from 40%), at least 4 stops report the QMC mean with its achieved confidence, below
    /// τ for the tight bound.
    /// </summary>
    [Theory]
    [MemberData(nameof(Kinds))]
    public void Deadline_stops_on_6_requests_report_the_bound_missed_with_or_without_a_propagated_round(string kind)
    {
        var (_, tight, tau) = Bounds(kind);
        var options = new PredictOptions { ExactShortcut = false, Deadline = TimeSpan.FromTicks(1) };
        using var model = LoadModel(pipeline.Engine);
        using (var indeterminate = new FlightDelayVariant(pipeline, FlightDelayVariant.All(
            FlightDelayVariant.Bound(kind, tight, tau), FlightDelayVariant.Planner("initialFraction", 0.01))))
        {
            foreach (var request in Requests(0, 6))
            {
                var result = indeterminate.Engine.Predict(request, options);
                AssertHonest(result, indeterminate.Engine, request, kind, tight, tau, model);
                Assert.Equal(StopReason.Deadline, result.StopReason);
                Assert.Equal(ValueKind.PointEstimates, result.ValueKind);
                Assert.Equal(1, result.Rounds);
            }
        }

        using var determinate = new FlightDelayVariant(pipeline, FlightDelayVariant.All(
            FlightDelayVariant.Bound(kind, tight, tau),
            FlightDelayVariant.NotSampled("all_30d", "origin_recent", "destination_recent", "route_30d"),
            FlightDelayVariant.Planner("initialFraction", 0.4)));
        var propagated = 0;
        var deadlines = 0;
        foreach (var request in Requests(0, 6))
        {
            // A tree ensemble is piecewise constant: when no feature's error reaches a split, every QMC output is the
            // same and even a tiny δ is met in the first round. Otherwise the deadline stops it.
            var result = determinate.Engine.Predict(request, options);
            AssertHonest(result, determinate.Engine, request, kind, tight, tau, model);
            Assert.Contains(result.StopReason, new[] { StopReason.Deadline, StopReason.BoundMet });
            Assert.Equal(1, result.Rounds);
            propagated += result.ValueKind == ValueKind.QmcMean ? 1 : 0;
            deadlines += result.StopReason == StopReason.Deadline ? 1 : 0;
        }

        output.WriteLine($"{kind}: {propagated} of 6 first rounds propagated, {deadlines} stopped at the deadline");
        Assert.True(deadlines >= 1, "no request stopped at the deadline: the test no longer exercises it");
        Assert.True(propagated >= 4, $"only {propagated} of 6 first rounds propagated");
    }

    /// <summary>
    /// One round at a 1% initial fraction, 8 requests: some feature's error is unknown, so nothing was propagated. The
    /// value is the model on the point estimates, confidence and error at τ are NaN, and the bound is not met.
    /// </summary>
    [Theory]
    [MemberData(nameof(Kinds))]
    public void A_last_round_with_an_unknown_feature_error_reports_point_estimates_and_no_confidence_on_8_requests(string kind)
    {
        var (loose, _, tau) = Bounds(kind);
        using var variant = new FlightDelayVariant(pipeline, FlightDelayVariant.All(
            FlightDelayVariant.Bound(kind, loose, tau), FlightDelayVariant.Planner("initialFraction", 0.01)));
        using var model = LoadModel(variant.Engine);
        foreach (var request in Requests(0, 8))
        {
            var result = variant.Engine.Predict(request, new PredictOptions { ExactShortcut = false, MaxRounds = 1 });
            AssertHonest(result, variant.Engine, request, kind, loose, tau, model);
            Assert.Equal(StopReason.MaxRounds, result.StopReason);
            Assert.Equal(ValueKind.PointEstimates, result.ValueKind);
            Assert.All(result.Queries, q => Assert.Equal(0.01, q.Fraction));
        }
    }

    /// <summary>Fixed fractions 5% and 20%, 6 requests each: the model on the point estimates, no confidence, no bound claimed.</summary>
    [Theory]
    [MemberData(nameof(Kinds))]
    public void Fixed_fraction_results_on_6_requests_are_the_model_on_point_estimates_with_no_confidence(string kind)
    {
        var (loose, _, tau) = Bounds(kind);
        using var variant = new FlightDelayVariant(pipeline, FlightDelayVariant.Bound(kind, loose, tau));
        using var model = LoadModel(variant.Engine);
        foreach (var fraction in new[] { 0.05, 0.2 })
        {
            foreach (var request in Requests(20, 6))
            {
                var result = variant.Engine.Predict(request, new PredictOptions { FixedFraction = fraction });
                AssertHonest(result, variant.Engine, request, kind, loose, tau, model);
                Assert.Equal(StopReason.FixedFraction, result.StopReason);
                Assert.All(result.Queries, q => Assert.Equal(fraction, q.Fraction));
                Assert.False(result.DependsOnMeasuredCosts);
                Assert.False(result.TookExactShortcut);
            }
        }
    }

    /// <summary>
    /// 4 requests, three ways to an exact answer (<see cref="BiathlonEngine.PredictExact"/>, a fixed fraction of 1, and
    /// approximate serving of a spec whose queries are all <c>"sampled": false</c>): each reports the exact pipeline's
    /// value, confidence 1, error at τ 0 (error-at-confidence only) and the bound met.
    /// </summary>
    [Theory]
    [MemberData(nameof(Kinds))]
    public void Exact_results_on_4_requests_equal_PredictExact_and_report_full_confidence(string kind)
    {
        var (loose, _, tau) = Bounds(kind);
        using var variant = new FlightDelayVariant(pipeline, FlightDelayVariant.Bound(kind, loose, tau));
        using var unsampled = new FlightDelayVariant(pipeline, FlightDelayVariant.All(
            FlightDelayVariant.Bound(kind, loose, tau),
            FlightDelayVariant.NotSampled("all_30d", "all_7d", "origin_30d", "origin_recent", "destination_recent", "route_30d")));
        using var model = LoadModel(variant.Engine);
        foreach (var request in Requests(40, 4))
        {
            var exact = variant.Engine.PredictExact(request);
            AssertHonest(exact, variant.Engine, request, kind, loose, tau, model);
            Assert.All(exact.Queries, q => Assert.Equal(ExactReason.ExactRequest, q.ExactReason));

            var full = variant.Engine.Predict(request, new PredictOptions { FixedFraction = 1 });
            AssertHonest(full, variant.Engine, request, kind, loose, tau, model);
            Assert.Equal(exact.Value, full.Value);

            var approximate = unsampled.Engine.Predict(request, new PredictOptions { ExactShortcut = false });
            AssertHonest(approximate, unsampled.Engine, request, kind, loose, tau, model);
            Assert.Equal(StopReason.AllExact, approximate.StopReason);
            Assert.All(approximate.Queries, q => Assert.Equal(ExactReason.NotSampled, q.ExactReason));
            Assert.Equal(exact.Value, approximate.Value);
            Assert.Equal(exact.Delta, approximate.Delta);
        }
    }

    /// <summary>
    /// 6 requests, each stopped at its first propagated round (a relative δ of 0.1%, too tight to meet): an absolute
    /// bound with δ set to the relative result's reported absolute <see cref="PredictionResult.Delta"/> replays the same
    /// round (same seed, same plan) and must measure the same confidence, so the relative confidence is the share within
    /// δ·|ŷ| of ŷ, not within the raw relative δ.
    /// </summary>
    [Fact]
    public void Relative_confidence_on_6_requests_is_measured_for_the_absolute_delta_it_reports()
    {
        const double Relative = 0.001, Tau = 0.95;
        using var relative = new FlightDelayVariant(pipeline, FlightDelayVariant.Bound("relative", Relative, Tau));
        using var absolute = new FlightDelayVariant(pipeline, FlightDelayVariant.Bound("absolute", 1, Tau));
        using var model = LoadModel(relative.Engine);
        var compared = 0;
        foreach (var request in Requests(60, 6))
        {
            var (rounds, result) = FirstPropagatedRound(relative.Engine, request);
            AssertHonest(result, relative.Engine, request, "relative", Relative, Tau, model);
            Assert.Equal(ValueKind.QmcMean, result.ValueKind);
            Assert.Equal(Relative * Math.Abs(result.Value), result.Delta, 12);

            var replay = absolute.Engine.Predict(request, new PredictOptions { ExactShortcut = false, MaxRounds = rounds, Delta = result.Delta });
            Assert.Equal(rounds, replay.Rounds);
            Assert.Equal(result.Value, replay.Value);
            Assert.Equal(result.Delta, replay.Delta);
            Assert.Equal(result.Confidence, replay.Confidence);
            compared += Math.Abs(result.Value) > 1 ? 1 : 0;
        }

        Assert.True(compared >= 4, $"only {compared} of 6 requests had |ŷ| > 1");
    }

    /// <summary>
    /// 6 requests, each stopped at its first propagated round under error at confidence (δ = 0.01, τ = 0.9): replaying
    /// that round with δ = the reported <see cref="PredictionResult.ErrorAtTau"/> meets the bound with confidence ≥ τ,
    /// and with the next smaller double it does not, so ErrorAtTau is exactly the achieved τ-quantile of |error|.
    /// </summary>
    [Fact]
    public void Error_at_tau_on_6_requests_is_the_smallest_delta_whose_confidence_reaches_tau()
    {
        const double Delta = 0.01, Tau = 0.9;
        using var variant = new FlightDelayVariant(pipeline, FlightDelayVariant.Bound("errorAtConfidence", Delta, Tau));
        using var model = LoadModel(variant.Engine);
        var checkedQuantiles = 0;
        foreach (var request in Requests(60, 6))
        {
            var (rounds, result) = FirstPropagatedRound(variant.Engine, request);
            AssertHonest(result, variant.Engine, request, "errorAtConfidence", Delta, Tau, model);
            if (result.StopReason != StopReason.MaxRounds || !(result.ErrorAtTau > 0))
            {
                continue;
            }

            var at = variant.Engine.Predict(request, new PredictOptions { ExactShortcut = false, MaxRounds = rounds, Delta = result.ErrorAtTau });
            AssertHonest(at, variant.Engine, request, "errorAtConfidence", result.ErrorAtTau, Tau, model);
            Assert.Equal(result.Value, at.Value);
            Assert.Equal(result.ErrorAtTau, at.ErrorAtTau);
            Assert.Equal(StopReason.BoundMet, at.StopReason);
            Assert.True(at.Confidence >= Tau, $"confidence {at.Confidence} at δ = ErrorAtTau");

            var below = Math.BitDecrement(result.ErrorAtTau);
            var under = variant.Engine.Predict(request, new PredictOptions { ExactShortcut = false, MaxRounds = rounds, Delta = below });
            AssertHonest(under, variant.Engine, request, "errorAtConfidence", below, Tau, model);
            Assert.Equal(StopReason.MaxRounds, under.StopReason);
            Assert.True(under.Confidence < Tau, $"confidence {under.Confidence} just below δ = ErrorAtTau");
            checkedQuantiles++;
        }

        Assert.True(checkedQuantiles >= 4, $"only {checkedQuantiles} of 6 requests stopped at the round limit with an error above 0");
    }

    /// <summary>
    /// <see cref="QueryOutcome.FirstOrderIndex"/> is "S1 from the last QMC round (0 when none ran)". A fixed-fraction
    /// result runs no QMC round, so every S1 must be 0, also after an earlier request on the same engine (and thread)
    /// propagated and left its own S1 in the pooled request context. 3 request pairs.
    /// </summary>
    [Fact]
    public void A_fixed_fraction_result_reports_no_sensitivity_since_no_QMC_round_ran()
    {
        var engine = pipeline.Engine;
        var sawSensitivity = 0;
        foreach (var (first, second) in new[] { (0, 30), (4, 31), (6, 32) })
        {
            var propagated = engine.Predict(pipeline.Test[first].ToRequest(), new PredictOptions { ExactShortcut = false });
            sawSensitivity += propagated.Queries.Any(q => q.FirstOrderIndex != 0) ? 1 : 0;
            var fixedFraction = engine.Predict(pipeline.Test[second].ToRequest(), new PredictOptions { FixedFraction = 0.05 });
            Assert.Equal(StopReason.FixedFraction, fixedFraction.StopReason);
            Assert.All(fixedFraction.Queries, q => Assert.True(
                q.FirstOrderIndex == 0, $"query {q.Name} reports S1 = {q.FirstOrderIndex} though no QMC round ran for this request"));
        }

        Assert.True(sawSensitivity > 0, "no earlier request left a non-zero S1 behind; the check above proved nothing");
    }

    /// <summary>
    /// <see cref="ExactReason.None"/> means "not read completely: its features are estimates". A query read completely
    /// because the fixed fraction is 1, or because the spec's initial fraction is 1, must say why. 2 requests.
    /// </summary>
    [Fact]
    public void A_query_read_completely_never_reports_ExactReason_None()
    {
        using var wholeFirst = new FlightDelayVariant(pipeline, FlightDelayVariant.Planner("initialFraction", 1.0));
        foreach (var request in Requests(0, 2))
        {
            var full = pipeline.Engine.Predict(request, new PredictOptions { FixedFraction = 1 });
            var initial = wholeFirst.Engine.Predict(request, new PredictOptions { ExactShortcut = false });
            foreach (var result in new[] { full, initial })
            {
                Assert.True(result.IsExact);
                Assert.All(result.Queries, q => Assert.True(
                    q.ExactReason != ExactReason.None, $"query {q.Name} was read completely (z = {q.Fraction}) but reports ExactReason.None"));
            }
        }
    }

    [Fact]
    public void A_spec_that_starts_every_query_complete_claims_no_cost_decision()
    {
        using var wholeFirst = new FlightDelayVariant(pipeline, FlightDelayVariant.Planner("initialFraction", 1.0));
        foreach (var request in Requests(0, 3))
        {
            var result = wholeFirst.Engine.Predict(request);
            Assert.True(result.IsExact);
            Assert.False(result.TookExactShortcut);
            Assert.False(result.DependsOnMeasuredCosts);
            Assert.All(result.Queries, q => Assert.Contains(q.ExactReason, new[] { ExactReason.FullInitialFraction, ExactReason.NotEstimable, ExactReason.NotSampled }));
        }
    }

    /// <summary>Requests for bound kind <paramref name="kind"/>: a loose δ that is usually met, a tight one that is not, and τ.</summary>
    private static (double Loose, double Tight, double Tau) Bounds(string kind) => kind switch
    {
        "absolute" => (16, 0.01, 0.95),  // minutes; about the shipped pipeline's δ (its validation MAE)
        "relative" => (0.1, 0.001, 0.95),
        _ => (5, 0.01, 0.9),
    };

    private static BoundKind KindOf(string kind) => kind switch
    {
        "absolute" => BoundKind.AbsoluteError,
        "relative" => BoundKind.RelativeError,
        _ => BoundKind.ErrorAtConfidence,
    };

    /// <summary>The model as the engine runs it (the same runtime), so "the model on the point estimates" is bit for bit the engine's call.</summary>
    private static LoadedModel LoadModel(BiathlonEngine engine) =>
        LoadedModel.Load(engine.Definition.ModelFile, PredictionTask.Regression, engine.Definition.ModelRuntime, 1);

    /// <summary>The smallest round limit at which the request's last round propagated (shortcut off, tight δ from the spec).</summary>
    private static (int Rounds, PredictionResult Result) FirstPropagatedRound(BiathlonEngine engine, IReadOnlyDictionary<string, object?> request)
    {
        for (var rounds = 1; rounds <= 20; rounds++)
        {
            var result = engine.Predict(request, new PredictOptions { ExactShortcut = false, MaxRounds = rounds });
            if (result.ValueKind != ValueKind.PointEstimates)
            {
                return (rounds, result);
            }
        }

        throw new InvalidOperationException("No round propagated within 20 rounds.");
    }

    private IEnumerable<Dictionary<string, object?>> Requests(int from, int count) =>
        pipeline.Test.Skip(from).Take(count).Select(r => r.ToRequest());

    /// <summary>The model on the reported feature values (undefined ones replaced by their fill values), computed here.</summary>
    private static double ModelOnFeatures(BiathlonEngine engine, PredictionResult result, LoadedModel model)
    {
        var inputs = engine.Definition.Inputs;
        var row = new float[inputs.Count];
        for (var i = 0; i < row.Length; i++)
        {
            var value = result.Features[i].Value;
            row[i] = (float)(double.IsFinite(value) ? value : engine.Definition.Queries[inputs[i].Query].Aggregates[inputs[i].Aggregate].Fill);
        }

        var output = new float[1];
        model.Model.Evaluate(row, 1, output);
        return output[0];
    }

    /// <summary>Everything a result claims, checked against its stop reason and bound kind.</summary>
    private static void AssertHonest(
        PredictionResult r, BiathlonEngine engine, IReadOnlyDictionary<string, object?> request, string kind, double delta, double tau, LoadedModel model)
    {
        var boundKind = KindOf(kind);
        Assert.Equal(boundKind, r.BoundKind);
        Assert.Equal(tau, r.Tau);
        Assert.Equal(delta, r.RequestedDelta);
        Assert.True(double.IsFinite(r.Value), $"value {r.Value}");
        var tested = boundKind == BoundKind.RelativeError ? delta * Math.Max(Math.Abs(r.Value), RelativeFloor) : delta;
        Assert.True(Math.Abs(r.Delta - tested) <= 1e-12 * tested, $"Delta {r.Delta:R}, expected {tested:R} for a {kind} δ of {delta} and ŷ = {r.Value:R}");
        Assert.True(r.Rounds >= 1);
        Assert.Equal(r.StopReason == StopReason.AllExact, r.IsExact);
        Assert.Equal(r.StopReason is StopReason.BoundMet or StopReason.AllExact, r.MeetsBound);
        Assert.Equal(engine.Definition.Queries.Count, r.Queries.Count);
        Assert.Equal(engine.InputNames, r.Features.Select(f => f.Name).ToArray());
        Assert.All(r.Queries, q => Assert.True(q.ExactReason == ExactReason.None || q.Fraction == 1, $"{q.Name}: {q.ExactReason} at z = {q.Fraction}"));
        var unknown = r.Features.Where(f => f.Error == ErrorKind.Unknown).ToArray();
        Assert.All(unknown, f => Assert.NotEqual(UnknownReason.None, f.UnknownReason));
        var errorAtConfidence = boundKind == BoundKind.ErrorAtConfidence;

        switch (r.StopReason)
        {
            case StopReason.AllExact:
                Assert.Equal(ValueKind.ExactModel, r.ValueKind);
                Assert.Equal(1, r.Confidence);
                Assert.Equal(errorAtConfidence ? 0 : double.NaN, r.ErrorAtTau);
                Assert.All(r.Queries, q => Assert.Equal(1, q.Fraction));
                Assert.All(r.Features, f => Assert.Equal((ErrorKind.Exact, 0.0), (f.Error, f.StdError)));
                var exact = engine.PredictExact(request).Value;
                Assert.True(Math.Abs(r.Value - exact) <= 1e-9 * Math.Max(1, Math.Abs(exact)), $"exact-model value {r.Value:R}, PredictExact {exact:R}");
                break;

            case StopReason.BoundMet:
                Assert.Equal(ValueKind.QmcMean, r.ValueKind);
                Assert.Empty(unknown);
                Assert.InRange(r.Confidence, tau, 1);
                if (errorAtConfidence)
                {
                    Assert.InRange(r.ErrorAtTau, 0, r.Delta);
                }
                else
                {
                    Assert.Equal(double.NaN, r.ErrorAtTau);
                }

                break;

            case StopReason.Deadline or StopReason.MaxRounds:
                Assert.False(r.IsExact);
                if (r.ValueKind == ValueKind.QmcMean)
                {
                    // The round propagated and the bound was tested: it failed, so nothing may read as achieved.
                    Assert.Empty(unknown);
                    Assert.True(r.Confidence >= 0 && r.Confidence < tau, $"{r.StopReason} with confidence {r.Confidence} for τ = {tau}");
                    if (errorAtConfidence)
                    {
                        Assert.True(r.ErrorAtTau > r.Delta, $"{r.StopReason} with error at τ {r.ErrorAtTau} ≤ δ = {r.Delta}");
                    }
                    else
                    {
                        Assert.Equal(double.NaN, r.ErrorAtTau);
                    }
                }
                else
                {
                    // The round could not propagate: some error is unknown, and the value is the model on the point estimates.
                    Assert.Equal(ValueKind.PointEstimates, r.ValueKind);
                    Assert.NotEmpty(unknown);
                    Assert.Equal(double.NaN, r.Confidence);
                    Assert.Equal(double.NaN, r.ErrorAtTau);
                    Assert.Equal(ModelOnFeatures(engine, r, model), r.Value);
                }

                break;

            case StopReason.FixedFraction:
                Assert.Equal(ValueKind.PointEstimates, r.ValueKind);
                Assert.Equal(1, r.Rounds);
                Assert.Equal(double.NaN, r.Confidence);
                Assert.Equal(double.NaN, r.ErrorAtTau);
                Assert.Contains(r.Queries, q => q.Fraction < 1);
                Assert.Equal(ModelOnFeatures(engine, r, model), r.Value);
                break;

            default:
                Assert.Fail($"unexpected stop reason {r.StopReason}");
                break;
        }
    }
}
