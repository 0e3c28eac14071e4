using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Validators;

// Entry point: pick benchmarks with --filter and a job with --job (see benchmarks/README.md).
// Every run reports allocations and operations per second, and refuses to measure a non-optimized build.
var config = DefaultConfig.Instance
    .AddDiagnoser(MemoryDiagnoser.Default)
    .AddColumn(StatisticColumn.OperationsPerSecond)
    .AddValidator(JitOptimizationsValidator.FailOnError);

var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);

// A non-zero exit code when validation failed or a benchmark crashed, so scripts notice.
return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
