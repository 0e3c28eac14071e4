using Biathlon.Sampling.Aggregates.Offload;

namespace Biathlon.Compute.Aggregates;

/// <summary>
/// Runs a batch of aggregate jobs: jobs of many cursors, requests and tables at once (a batcher concatenates the
/// jobs of concurrent widenings and hands each cursor its slice of the results).
/// </summary>
internal interface IAggregateExecutor
{
    /// <summary>
    /// Computes every job of <paramref name="jobs"/> into <paramref name="results"/> (prepared here for the batch:
    /// result i belongs to job i). Throws on failure, leaving the results undefined; the caller then widens on the CPU.
    /// </summary>
    void Execute(ReadOnlySpan<ColumnRangeJob> jobs, ColumnJobResults results);
}
