using BenchmarkDotNet.Attributes;
using Biathlon.Sampling.Aggregates;

namespace Biathlon.Benchmarks;

// Raw throughput of the SIMD moment kernels over contiguous doubles: the inner loop of every SUM/AVG/VAR/STD
// feature once the cursor has found its row ranges. Order2 is AVG's kernel (count, mean, M2 in one pass), Order4 is
// STD's (two passes: mean, then central powers), the scalar sum is the floor any kernel must beat, and
// ConvertToDouble is the Int64 -> double step every integer column (delay, distance) pays before a kernel runs.
//
// Length 4,096 (32 KiB) stays cache-resident; 1,048,576 (8 MiB) is larger than L2, so it streams from L3 or memory.
// OperationsPerInvoke must be a constant, so each invocation processes RowsPerInvoke rows whatever the length
// (RowsPerInvoke / Length passes over the buffer): BenchmarkDotNet's Op/s column then reads as rows per second.
public class MomentKernelBenchmarks
{
    private const int RowsPerInvoke = 1 << 20;

    private double[] _values = [];
    private long[] _integers = [];
    private double[] _converted = [];

    [Params(4_096, 1_048_576)]
    public int Length { get; set; }

    private int Passes => RowsPerInvoke / Length;

    [GlobalSetup]
    public void Setup()
    {
        // Delay-like values: minutes late, mostly small, occasionally large; Int64 data mirrors the stored column.
        var random = new Random(20010315);
        _values = new double[Length];
        _integers = new long[Length];
        _converted = new double[Length];
        for (var i = 0; i < Length; i++)
        {
            _values[i] = (random.NextDouble() * 120) - 20;
            _integers[i] = random.NextInt64(-60, 1_000);
        }
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = RowsPerInvoke, Description = "Scalar sum")]
    public double ScalarSum()
    {
        var total = 0.0;
        var values = _values;
        for (var pass = 0; pass < Passes; pass++)
        {
            var sum = 0.0;
            for (var i = 0; i < values.Length; i++)
            {
                sum += values[i];
            }

            total += sum;
        }

        return total;
    }

    [Benchmark(OperationsPerInvoke = RowsPerInvoke, Description = "Order2 (AVG)")]
    public double Order2()
    {
        var total = 0.0;
        for (var pass = 0; pass < Passes; pass++)
        {
            var state = MomentKernels.Order2(_values);
            total += state.Mean + state.M2;
        }

        return total;
    }

    [Benchmark(OperationsPerInvoke = RowsPerInvoke, Description = "Order4 (STD)")]
    public double Order4()
    {
        var total = 0.0;
        for (var pass = 0; pass < Passes; pass++)
        {
            var state = MomentKernels.Order4(_values);
            total += state.Mean + state.M2 + state.M4;
        }

        return total;
    }

    [Benchmark(OperationsPerInvoke = RowsPerInvoke, Description = "ConvertToDouble (Int64)")]
    public double ConvertInt64()
    {
        for (var pass = 0; pass < Passes; pass++)
        {
            MomentKernels.ConvertToDouble(_integers, _converted);
        }

        return _converted[^1];
    }
}
