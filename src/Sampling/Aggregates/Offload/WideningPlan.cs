using Biathlon.Sampling.Queries;

namespace Biathlon.Sampling.Aggregates.Offload;

/// <summary>
/// A cursor's widening planned for a backend and not yet completed: the target partition count, the non-empty row
/// ranges it reads in the order the CPU path reads them (census first), and how many jobs it handed out. The jobs of a
/// range are implied by the cursor's columns, so the plan keeps ranges, not jobs. Reused, so planning allocates nothing
/// once warm.
/// </summary>
internal sealed class WideningPlan
{
    private readonly List<PlannedRange> _ranges = [];

    /// <summary>True between a plan and its completion.</summary>
    public bool IsActive { get; private set; }

    /// <summary>The partition count the plan widens to.</summary>
    public int Partitions { get; private set; }

    /// <summary>Jobs the plan appended.</summary>
    public int JobCount { get; private set; }

    /// <summary>The ranges, in read order.</summary>
    public IReadOnlyList<PlannedRange> Ranges => _ranges;

    /// <summary>Forgets the plan (a CPU widening, a restart, or a completion).</summary>
    public void Clear()
    {
        IsActive = false;
        Partitions = 0;
        JobCount = 0;
        _ranges.Clear();
    }

    /// <summary>Adds a non-empty range read by the plan.</summary>
    public void Add(int partition, RowRange range, bool census) => _ranges.Add(new PlannedRange(partition, range, census));

    /// <summary>Marks the plan complete and ready to be merged.</summary>
    public void Activate(int partitions, int jobCount)
    {
        Partitions = partitions;
        JobCount = jobCount;
        IsActive = true;
    }
}

/// <summary>One range of a <see cref="WideningPlan"/>.</summary>
/// <param name="Partition">Partition index (P for the census).</param>
/// <param name="Range">The predicate's rows in it.</param>
/// <param name="Census">True for the census stratum's range.</param>
internal readonly record struct PlannedRange(int Partition, RowRange Range, bool Census);
