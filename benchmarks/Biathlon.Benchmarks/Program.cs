using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Validators;
using Biathlon.Benchmarks;

// Entry point: pick benchmarks with --filter and a job with --job (see benchmarks/README.md), or print the per-request
// distribution of specialised round costs with --round-distribution (not a BenchmarkDotNet run).
// Every run reports allocations and operations per second, and refuses to measure a non-optimized build.
if (args.Contains("--round-distribution"))
{
    return RoundDistribution.Run(args);
}

var config = DefaultConfig.Instance
    .AddDiagnoser(MemoryDiagnoser.Default)
    .AddColumn(StatisticColumn.OperationsPerSecond)
    .AddValidator(JitOptimizationsValidator.FailOnError);

var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);

// A non-zero exit code when validation failed or a benchmark crashed, so scripts notice.
return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
