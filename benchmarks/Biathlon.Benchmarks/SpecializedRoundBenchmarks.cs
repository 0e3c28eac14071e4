using BenchmarkDotNet.Attributes;
using Biathlon.Planner.Propagation;

namespace Biathlon.Benchmarks;

// The model's share of a QMC round on real requests: flight-delay's first propagated round of each of the harness's 300
// held-out requests (SpecializedRounds: shortcut off, uncertain groups and exact constants as the engine had them,
// N = 128). One invocation evaluates all 300 designs, so Mean reads as time per round (per request):
//   - ONNX Runtime on every row of each design (baseline);
//   - the native program on every row, unspecialised;
//   - the native per-request evaluator, specialised on the request's constants and then evaluated: what the engine pays
//     in a request's first round (one evaluator re-specialised per request, as a pooled request context does);
//   - the same evaluators specialised beforehand (one per request), evaluation only: what a later round pays.
// When fewer than 300 requests ran a propagated round, the cases repeat in order to fill 300 (the setup says so).
// The per-request distribution of these costs: `-- --round-distribution` (RoundDistribution).
public class SpecializedRoundBenchmarks
{
    public const int Rounds = 300;

    // Built once per process (about 10 s) and shared by the cases of an in-process run; never disposed.
    private static readonly Lazy<SpecializedRounds> s_rounds = new(() => SpecializedRounds.Build("flight-delay", Rounds));

    private SpecializedRounds _rounds = null!;
    private RoundCase[] _cases = [];
    private IDesignEvaluator _evaluator = null!;
    private IDesignEvaluator[] _specialised = [];
    private float[] _outputs = [];

    [GlobalSetup]
    public void Setup()
    {
        _rounds = s_rounds.Value;
        var found = _rounds.Cases;
        if (found.Length == 0)
        {
            throw new InvalidOperationException("No held-out request of flight-delay ran a propagated round.");
        }

        _cases = new RoundCase[Rounds];
        for (var i = 0; i < Rounds; i++)
        {
            _cases[i] = found[i % found.Length];
        }

        Console.WriteLine($"// {found.Length} of {_rounds.Requests} requests ran a propagated round" +
            (found.Length < Rounds ? $"; cases repeat to fill {Rounds}" : "") + $"; mean rows per design {_cases.Average(c => c.Rows):F0}");
        _evaluator = _rounds.Native.CreateDesignEvaluator();
        _specialised = new IDesignEvaluator[Rounds];
        for (var i = 0; i < Rounds; i++)
        {
            _specialised[i] = _rounds.Native.CreateDesignEvaluator();
            _specialised[i].Specialize(_rounds.GroupOfInput, _cases[i].Constant, _cases[i].Values);
        }

        _outputs = new float[_rounds.MaxRows];
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Rounds, Description = "ONNX Runtime, every row")]
    public void OnnxRuntime()
    {
        foreach (var c in _cases)
        {
            _rounds.Onnx.Evaluate(c.Design, c.Rows, _outputs);
        }
    }

    [Benchmark(OperationsPerInvoke = Rounds, Description = "native, every row (unspecialised)")]
    public void NativeEveryRow()
    {
        foreach (var c in _cases)
        {
            _rounds.Native.Evaluate(c.Design, c.Rows, _outputs);
        }
    }

    [Benchmark(OperationsPerInvoke = Rounds, Description = "native evaluator: Specialize + Evaluate")]
    public void SpecializeAndEvaluate()
    {
        var groups = _rounds.GroupOfInput;
        foreach (var c in _cases)
        {
            _evaluator.Specialize(groups, c.Constant, c.Values);
            _evaluator.Evaluate(c.Design, new SaltelliLayout(SpecializedRounds.BaseSamples, c.BlockGroups), _outputs);
        }
    }

    [Benchmark(OperationsPerInvoke = Rounds, Description = "native evaluator: Evaluate (specialised beforehand)")]
    public void EvaluateOnly()
    {
        for (var i = 0; i < _cases.Length; i++)
        {
            var c = _cases[i];
            _specialised[i].Evaluate(c.Design, new SaltelliLayout(SpecializedRounds.BaseSamples, c.BlockGroups), _outputs);
        }
    }
}
