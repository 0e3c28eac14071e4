using BenchmarkDotNet.Attributes;
using Biathlon.Planner.Planning;
using Biathlon.Planner.Propagation;
using Biathlon.Sampling.Estimators;

namespace Biathlon.Benchmarks;

// One round of planner work for G = 10 feature queries (20 features: normal, empirical and exact errors) and
// N = 128 base points, i.e. 1,536 model rows: drawing a freshly scrambled Sobol' design (as every round does),
// mapping it onto the features, summarising the outputs
// (prediction, confidence, variance) and S1 per query, then planning the next round. The model is a stand-in that
// copies one input column, so its own cost is a 1,536-float copy; "Model stand-in only" measures that copy so it
// can be subtracted. Allocations must read zero: the round is allocation-free after warm-up.
[MemoryDiagnoser]
public class PlannerRoundBenchmarks
{
    private const int Groups = 10;
    private const int FeaturesPerGroup = 2;

    private readonly CopyFirstColumnModel _model = new(Groups * FeaturesPerGroup);
    private readonly SensitivityPlanPolicy _policy = new();
    private readonly PlanSettings _settings = new(totalPartitions: 100);
    private readonly ErrorBound _bound = ErrorBound.Absolute(1.0, 0.95);
    private UncertaintyPropagator _propagator = null!;
    private FeatureEstimate[] _features = [];
    private QueryPlanState[] _queries = [];
    private int[] _plan = [];
    private float[] _outputs = [];
    private ulong _round;

    [GlobalSetup]
    public void Setup()
    {
        var groups = new int[Groups * FeaturesPerGroup];
        _features = new FeatureEstimate[groups.Length];
        var bootstrap = new double[100];
        for (var b = 0; b < bootstrap.Length; b++)
        {
            bootstrap[b] = 50 + b * 0.1;
        }

        for (var j = 0; j < groups.Length; j++)
        {
            groups[j] = j / FeaturesPerGroup;
            _features[j] = (j % 3) switch
            {
                0 => FeatureEstimate.Normal(10 + j, 0.5 + j * 0.1),
                1 => FeatureEstimate.Empirical(55, bootstrap),
                _ => FeatureEstimate.Exact(j),
            };
        }

        _propagator = new UncertaintyPropagator(groups, new PropagationOptions(baseSamples: 128));
        _outputs = new float[_propagator.MaxRows];
        _queries = new QueryPlanState[Groups];
        _plan = new int[Groups];
        for (var q = 0; q < Groups; q++)
        {
            _queries[q] = new QueryPlanState { Partitions = 5 + q, Sampleable = true, CostSlope = 0.001 * (q + 1), RowsRead = 5_000, EstimatedRows = double.NaN };
        }

        Round();
    }

    [Benchmark(Description = "Round: propagate + S1 + plan (G = 10, N = 128)")]
    public int Round()
    {
        _propagator.Propagate(_features, _model, PredictionTask.Regression, _bound, _round++);
        var s1 = _propagator.FirstOrderIndices;
        for (var q = 0; q < _queries.Length; q++)
        {
            _queries[q].FirstOrderIndex = s1[q];
        }

        _policy.Plan(_queries, _settings, _plan);
        return _plan[0];
    }

    [Benchmark(Description = "Plan only (G = 10)")]
    public int PlanOnly()
    {
        _policy.Plan(_queries, _settings, _plan);
        return _plan[0];
    }

    [Benchmark(Description = "Model stand-in only (1,536-row copy)")]
    public float ModelOnly()
    {
        _model.Evaluate(_propagator.Inputs, _propagator.Rows, _outputs);
        return _outputs[0];
    }

    /// <summary>Returns the first input column (plus a little of the second, so outputs depend on two groups).</summary>
    private sealed class CopyFirstColumnModel(int width) : IBatchModel
    {
        public int InputWidth => width;

        public void Evaluate(ReadOnlySpan<float> inputs, int rows, Span<float> outputs) => inputs[..rows].CopyTo(outputs);
    }
}
