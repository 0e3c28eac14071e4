using Biathlon.Engine;
using Biathlon.Engine.Diagnostics;
using Biathlon.Engine.Models;
using Biathlon.Engine.Models.Native;
using Biathlon.Engine.Models.Onnx;
using Biathlon.Planner.Propagation;
using Biathlon.Sampling.Estimators;

namespace Biathlon.Benchmarks;

// One real request's QMC round, reproduced outside the engine so that its model call can be timed alone: which inputs
// were uncertain, the constants' exact values, and the Saltelli design the round evaluated.
internal sealed class RoundCase
{
    // Index of the request in the harness's test split.
    public required int Request { get; init; }

    // The round reproduced (1-based): the request's first round that propagated.
    public required int Round { get; init; }

    // Per model input: true when it is a constant of the round (a request field, or an exact query's aggregate).
    public required bool[] Constant { get; init; }

    // Per model input: its exact value (ComputeExactFeatures); what the evaluator is specialised on for the constants.
    public required float[] Values { get; init; }

    // The design, column-major (input j of row r at j * Rows + r), N = BaseSamples.
    public required float[] Design { get; init; }

    // The uncertain groups (feature queries) with an AB block, in block order.
    public required int[] BlockGroups { get; init; }

    // Names of the queries with an uncertain input in this round.
    public required string[] UncertainQueries { get; init; }

    public int Rows => SpecializedRounds.BaseSamples * (2 + BlockGroups.Length);
}

// The first propagated round of each of a pipeline's held-out requests (HeldOutRequests: the harness's 300 test
// requests), served with the exact shortcut off so that a request's rounds depend on the request alone (with it on,
// rounds depend on costs measured from earlier traffic, and many requests run no round at all).
//
// Per request: Predict (shortcut off) says how many rounds it ran; replays stopped after 1, 2, ... rounds
// (PredictOptions.MaxRounds) give each round's features (PredictionResult.Features), up to the first whose value came
// from a QMC design. Its inputs with an exact error are the round's constants, valued by the engine's
// ComputeExactFeatures (request fields and exact queries); the others are uncertain. The design is drawn by the engine's
// own UncertaintyPropagator (scrambled Sobol', N = 128, one AB block per uncertain group) from those constants and, for
// uncertain inputs, a normal error around the round's estimate with its standard error (the round's quantile features
// carry an empirical error, which the result does not expose: the normal of the same spread stands in for it).
// Requests whose every round was exact or indeterminate have no case (counted in NoRound).
internal sealed class SpecializedRounds : IDisposable
{
    public const int BaseSamples = 128;

    private SpecializedRounds(
        string pipeline, int[] groupOfInput, string[] queryNames, NativeModel native, OnnxModel onnx, RoundCase[] cases,
        int requests, int[] roundsRun)
    {
        Pipeline = pipeline;
        GroupOfInput = groupOfInput;
        QueryNames = queryNames;
        Native = native;
        Onnx = onnx;
        Cases = cases;
        Requests = requests;
        RoundsRun = roundsRun;
    }

    public string Pipeline { get; }

    // Group of each model input as the engine groups them: its query, or (request fields) one group after the last query.
    public int[] GroupOfInput { get; }

    public string[] QueryNames { get; }

    public NativeModel Native { get; }

    public OnnxModel Onnx { get; }

    public RoundCase[] Cases { get; }

    // Requests examined.
    public int Requests { get; }

    // Rounds each examined request ran (shortcut off).
    public int[] RoundsRun { get; }

    // Requests without a propagated round.
    public int NoRound => Requests - Cases.Length;

    public int MaxRows => BaseSamples * (2 + QueryNames.Length + 1);

    public static SpecializedRounds Build(string pipeline, int requestCount)
    {
        var requests = HeldOutRequests.Prepare(pipeline);
        using var engine = BiathlonEngine.LoadAsync(
            HeldOutRequests.PipelineFolder(pipeline), new EngineOptions { DataDirectory = HeldOutRequests.DataDirectory }).GetAwaiter().GetResult();
        var definition = engine.Definition;
        var queries = definition.Queries.Count;
        var width = definition.Inputs.Count;
        var groupOfInput = new int[width];
        for (var j = 0; j < width; j++)
        {
            groupOfInput[j] = definition.Inputs[j].Query >= 0 ? definition.Inputs[j].Query : queries;
        }

        var queryNames = new string[queries];
        for (var q = 0; q < queries; q++)
        {
            queryNames[q] = definition.Queries[q].Name;
        }

        var native = NativeModel.Compile(ModelProto.Parser.ParseFrom(File.ReadAllBytes(definition.ModelFile)), definition.Task);
        var onnx = OnnxModel.Load(definition.ModelFile, definition.Task);
        var propagator = new UncertaintyPropagator(groupOfInput, new PropagationOptions(BaseSamples, closedForm: false));
        var bound = ErrorBound.Absolute(definition.Task == PredictionTask.Regression ? engine.Delta : 0.5, definition.Bound.Tau);
        var count = Math.Min(requestCount, requests.Count);
        var cases = new List<RoundCase>(count);
        var roundsRun = new int[count];
        var estimates = new FeatureEstimate[width];
        for (var i = 0; i < count; i++)
        {
            var request = requests[i].ToRequest();
            var full = engine.Predict(request, new PredictOptions { ExactShortcut = false });
            roundsRun[i] = full.Rounds;
            PredictionResult? round = null;
            var roundNumber = 0;
            for (var k = 1; k <= full.Rounds && round is null; k++)
            {
                var replay = k == full.Rounds ? full : engine.Predict(request, new PredictOptions { ExactShortcut = false, MaxRounds = k });
                if (replay.ValueKind is ValueKind.QmcMean or ValueKind.QmcMode)
                {
                    round = replay;
                    roundNumber = k;
                }
            }

            if (round is null)
            {
                continue;
            }

            var exact = new float[width];
            new PipelineDiagnostics(engine).ComputeExactFeatures(request, exact);
            var constant = new bool[width];
            var uncertainQueries = new SortedSet<int>();
            for (var j = 0; j < width; j++)
            {
                var feature = round.Features[j];
                constant[j] = feature.Error == ErrorKind.Exact;
                estimates[j] = constant[j] ? FeatureEstimate.Exact(exact[j]) : FeatureEstimate.Normal(feature.Value, Spread(feature));
                if (!constant[j])
                {
                    uncertainQueries.Add(groupOfInput[j]);
                }
            }

            propagator.Propagate(estimates, native, definition.Task, bound, round.Seed ^ (ulong)roundNumber);
            cases.Add(new RoundCase
            {
                Request = i,
                Round = roundNumber,
                Constant = constant,
                Values = exact,
                Design = propagator.Inputs.ToArray(),
                BlockGroups = propagator.BlockGroups.ToArray(),
                UncertainQueries = uncertainQueries.Select(q => q < queries ? queryNames[q] : "request").ToArray(),
            });
        }

        return new SpecializedRounds(pipeline, groupOfInput, queryNames, native, onnx, cases.ToArray(), count, roundsRun);
    }

    public void Dispose() => Onnx.Dispose();

    // The standard error of an uncertain feature; from its interval (95%) when the result gives none.
    private static double Spread(FeatureOutcome feature)
    {
        if (double.IsFinite(feature.StdError) && feature.StdError > 0)
        {
            return feature.StdError;
        }

        var fromInterval = (feature.High - feature.Low) / (2 * 1.959963984540054);
        return double.IsFinite(fromInterval) && fromInterval > 0 ? fromInterval : 0;
    }
}
