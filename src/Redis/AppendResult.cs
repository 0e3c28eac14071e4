namespace Biathlon.Redis;

/// <summary>What an append did.</summary>
/// <param name="BatchId">The caller's batch id.</param>
/// <param name="Applied">False when a batch with this id was applied before: nothing was counted twice.</param>
/// <param name="Rows">Rows in the batch.</param>
/// <param name="Segments">Segments written (over all layouts).</param>
/// <param name="CensusRows">Rows that went to the census stratum (beyond a census column's fences).</param>
public sealed record AppendResult(string BatchId, bool Applied, int Rows, int Segments, int CensusRows);
