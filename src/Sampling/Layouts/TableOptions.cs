namespace Biathlon.Sampling.Layouts;

/// <summary>How a raw table is partitioned and laid out.</summary>
public sealed class TableOptions
{
    /// <summary>The default number of partitions.</summary>
    public const int DefaultPartitions = 100;

    /// <summary>Table name, used in error messages and as the folder name when saved. Default: the source name.</summary>
    public string? Name { get; init; }

    /// <summary>
    /// Number of partitions P (default 100): each row is assigned one uniformly at random, so partitions [0, k) are a
    /// Bernoulli(k/P) sample of every group, and sample fractions move in steps of 1/P.
    /// </summary>
    public int Partitions { get; init; } = DefaultPartitions;

    /// <summary>Seed of the partition assignment. The same seed and source give the same partitions on every machine.</summary>
    public ulong Seed { get; init; }

    /// <summary>
    /// The column time windows apply to (Int64 or Timestamp), or null for a table without one. Rows whose time is
    /// null are left out of every layout and counted in <see cref="PartitionedTable.RowsWithNullTime"/>.
    /// </summary>
    public string? TimeColumn { get; init; }

    /// <summary>
    /// The layouts to build, one per set of group key columns that queries will use. Default: one layout with no key
    /// columns (every row in one group, sorted by time).
    /// </summary>
    public IReadOnlyList<LayoutSpec> Layouts { get; init; } = [new LayoutSpec("all", [])];

    /// <summary>
    /// The census stratum (an outlier index), or null for none: rows beyond the fences of its columns are stored
    /// apart and read exactly by every cursor, the rest are partitioned and sampled.
    /// </summary>
    public CensusOptions? Census { get; init; }
}

/// <summary>One physical sort order of a table: by the key columns, then by time, within each partition.</summary>
/// <param name="Name">Layout name, unique within the table (used in file names, so letters, digits, '-' and '_').</param>
/// <param name="KeyColumns">The group key columns, in order; empty for a layout that only sorts by time.</param>
public sealed record LayoutSpec(string Name, IReadOnlyList<string> KeyColumns);
