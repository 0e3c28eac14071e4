using BenchmarkDotNet.Attributes;
using Biathlon.Engine.Models;
using Biathlon.Engine.Models.Native;
using Biathlon.Engine.Models.Onnx;
using Biathlon.Planner.Propagation;

namespace Biathlon.Benchmarks;

// The model's share of one QMC round on flight-delay's committed model (pipelines/flight-delay/model.onnx: 100 LightGbm
// trees over 12 inputs; 3 request fields form one constant group, 6 feature queries the others), N = 128.
// All 6 queries uncertain: A, B and 6 AB blocks, 1,024 rows, evaluated
//   - by ONNX Runtime (the design transposed to row-major, as OnnxModel does),
//   - by the native program on every row (scalar, AVX2-gather, interleaved and QuickScorer tree kernels),
//   - by the native per-request evaluator (request fields folded in; each AB block evaluates only the trees that
//     read its query's inputs; QuickScorer scans only A and B and recombines the AB blocks from per-group leaf
//     vectors), with the scalar and the QuickScorer kernel.
// "Typical": 4 of the 6 queries exact (most flight-delay queries end exact), so the evaluator is pruned on 9 constant
// inputs and the design has 2 AB blocks (512 rows).
// The design's values are not real requests: each input is centred on the median of the model's split thresholds on
// it and spread by their interquartile range, so rows take the model's own branches. Real requests' round costs are
// measured by the harness (experiments/reports/*/performance.md).
public class ModelRoundBenchmarks
{
    private const int BaseSamples = 128;
    private static readonly int[] s_groupOfInput = [6, 6, 6, 0, 0, 1, 1, 2, 2, 3, 4, 5]; // as the engine groups flight-delay's inputs

    private OnnxModel _onnx = null!;
    private NativeModel _native = null!;
    private IDesignEvaluator _all = null!;
    private IDesignEvaluator _typical = null!;
    private float[] _designAll = [];
    private float[] _designTypical = [];
    private float[] _outputs = [];
    private int[] _blocksAll = [];
    private int[] _blocksTypical = [];

    [GlobalSetup]
    public void Setup()
    {
        var path = Path.Combine(FlightsData.Root, "pipelines", "flight-delay", "model.onnx");
        _onnx = OnnxModel.Load(path, PredictionTask.Regression);
        _native = NativeModel.Compile(ModelProto.Parser.ParseFrom(File.ReadAllBytes(path)), PredictionTask.Regression);
        var ensemble = _native.Steps.OfType<TreeStep>().Single().Ensemble;
        var width = _native.InputWidth;
        var centre = new float[width];
        var spread = new float[width];
        for (var j = 0; j < width; j++)
        {
            var thresholds = Enumerable.Range(0, ensemble.InternalNodes).Where(n => ensemble.Features[n] == j).Select(n => ensemble.Thresholds[n]).Order().ToArray();
            centre[j] = thresholds.Length == 0 ? 0 : thresholds[thresholds.Length / 2];
            spread[j] = thresholds.Length < 4 ? 1 : (thresholds[thresholds.Length * 3 / 4] - thresholds[thresholds.Length / 4]) / 1.35f;
        }

        _blocksAll = [0, 1, 2, 3, 4, 5];
        _blocksTypical = [0, 2];
        var constantAll = s_groupOfInput.Select(g => g == 6).ToArray();
        var constantTypical = s_groupOfInput.Select(g => g is not (0 or 2)).ToArray();
        _designAll = Design(new SaltelliLayout(BaseSamples, _blocksAll), constantAll, centre, spread);
        _designTypical = Design(new SaltelliLayout(BaseSamples, _blocksTypical), constantTypical, centre, spread);
        _all = _native.CreateDesignEvaluator();
        _all.Specialize(s_groupOfInput, constantAll, centre);
        _typical = _native.CreateDesignEvaluator();
        _typical.Specialize(s_groupOfInput, constantTypical, centre);
        _outputs = new float[BaseSamples * 8];
    }

    [GlobalCleanup]
    public void Cleanup() => _onnx.Dispose();

    [Benchmark(Baseline = true, Description = "ONNX Runtime, 1,024 rows")]
    public void OnnxRuntime() => _onnx.Evaluate(_designAll, BaseSamples * 8, _outputs);

    [Benchmark(Description = "native, every row, scalar kernel")]
    public void NativeScalar() => WithKernel(TreeKernel.Scalar, () => _native.Evaluate(_designAll, BaseSamples * 8, _outputs));

    [Benchmark(Description = "native, every row, AVX2 kernel")]
    public void NativeVector() => WithKernel(TreeKernel.Avx2, () => _native.Evaluate(_designAll, BaseSamples * 8, _outputs));

    [Benchmark(Description = "native, every row, interleaved kernel")]
    public void NativeInterleaved() => WithKernel(TreeKernel.Interleaved, () => _native.Evaluate(_designAll, BaseSamples * 8, _outputs));

    [Benchmark(Description = "native, every row, QuickScorer kernel")]
    public void NativeQuickScorer() => WithKernel(TreeKernel.QuickScorer, () => _native.Evaluate(_designAll, BaseSamples * 8, _outputs));

    [Benchmark(Description = "native evaluator, 6 queries uncertain, scalar kernel")]
    public void EvaluatorAllUncertainScalar() => WithKernel(TreeKernel.Scalar, () => _all.Evaluate(_designAll, new SaltelliLayout(BaseSamples, _blocksAll), _outputs));

    [Benchmark(Description = "native evaluator, 6 queries uncertain, QuickScorer kernel")]
    public void EvaluatorAllUncertain() => WithKernel(TreeKernel.QuickScorer, () => _all.Evaluate(_designAll, new SaltelliLayout(BaseSamples, _blocksAll), _outputs));

    [Benchmark(Description = "native evaluator, 2 queries uncertain, scalar kernel")]
    public void EvaluatorTypicalScalar() => WithKernel(TreeKernel.Scalar, () => _typical.Evaluate(_designTypical, new SaltelliLayout(BaseSamples, _blocksTypical), _outputs));

    [Benchmark(Description = "native evaluator, 2 queries uncertain, QuickScorer kernel")]
    public void EvaluatorTypical() => WithKernel(TreeKernel.QuickScorer, () => _typical.Evaluate(_designTypical, new SaltelliLayout(BaseSamples, _blocksTypical), _outputs));

    private static void WithKernel(TreeKernel kernel, Action run)
    {
        var previous = TreeKernels.Kernel;
        TreeKernels.Kernel = kernel;
        run();
        TreeKernels.Kernel = previous;
    }

    /// <summary>A Saltelli design in block order: constants fixed, free inputs normal around their centre, AB blocks copying B in their group.</summary>
    private static float[] Design(SaltelliLayout layout, bool[] constant, float[] centre, float[] spread)
    {
        var rng = new Random(12345);
        var rows = layout.Rows;
        var n = layout.BaseSamples;
        var design = new float[rows * centre.Length];
        for (var j = 0; j < centre.Length; j++)
        {
            var column = design.AsSpan(j * rows, rows);
            if (constant[j])
            {
                column.Fill(centre[j]);
                continue;
            }

            for (var i = 0; i < 2 * n; i++)
            {
                var z = Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
                column[i] = centre[j] + (float)z * spread[j];
            }

            for (var b = 0; b < layout.BlockGroups.Length; b++)
            {
                column.Slice(layout.BlockGroups[b] == s_groupOfInput[j] ? n : 0, n).CopyTo(column.Slice(layout.BlockStart(b), n));
            }
        }

        return design;
    }
}
