namespace Biathlon.Sampling.Aggregates.Offload;

/// <summary>
/// The results of a batch of <see cref="ColumnRangeJob"/>s, indexed like the jobs: a <see cref="PartialMoments"/> per
/// moments job, a <see cref="PartialCoMoments"/> per co-moment job, and the sorted values of every sorted-values job in
/// one flat buffer, where job i owns a slot of its range's length starting at <see cref="ValueStart"/>(i) and fills
/// its first <see cref="ValueCount"/>(i) entries (its non-null values, ascending). Reused batch after batch: its
/// arrays only grow. Not thread-safe.
/// </summary>
internal sealed class ColumnJobResults
{
    private PartialMoments[] _moments = [];
    private PartialCoMoments[] _coMoments = [];
    private int[] _valueStart = [];
    private int[] _valueCount = [];
    private double[] _values = [];

    /// <summary>Jobs in the batch prepared last.</summary>
    public int JobCount { get; private set; }

    /// <summary>Length of the value buffer the batch uses: the total length of its sorted-values jobs' ranges.</summary>
    public int ValueCapacity { get; private set; }

    /// <summary>
    /// Sizes the results for <paramref name="jobs"/> and lays out the value slots: an executor calls it first. Results
    /// of an earlier batch are cleared: a job left alone (an empty range) reads as no value and no null.
    /// </summary>
    public void Prepare(ReadOnlySpan<ColumnRangeJob> jobs)
    {
        var count = jobs.Length;
        if (_moments.Length < count)
        {
            var size = Math.Max(count, _moments.Length * 2);
            _moments = new PartialMoments[size];
            _coMoments = new PartialCoMoments[size];
            _valueStart = new int[size];
            _valueCount = new int[size];
        }

        long capacity = 0;
        for (var i = 0; i < count; i++)
        {
            _valueStart[i] = (int)capacity;
            if (jobs[i].Kind == ColumnJobKind.SortedValues)
            {
                capacity += Math.Max(jobs[i].Range.Length, 0);
                if (capacity > Array.MaxLength)
                {
                    throw new InvalidOperationException($"A batch's sorted values exceed {Array.MaxLength} entries: split the batch.");
                }
            }
        }

        if (_values.Length < capacity)
        {
            _values = new double[Math.Max(capacity, Math.Min(_values.Length * 2L, Array.MaxLength))];
        }

        _moments.AsSpan(0, count).Fill(PartialMoments.Empty);
        Array.Clear(_coMoments, 0, count);
        Array.Clear(_valueCount, 0, count);
        JobCount = count;
        ValueCapacity = (int)capacity;
    }

    /// <summary>The moments of job <paramref name="job"/> (a <see cref="ColumnJobKind.Moments"/> job).</summary>
    public ref PartialMoments Moments(int job) => ref _moments[Check(job)];

    /// <summary>The co-moment of job <paramref name="job"/> (a <see cref="ColumnJobKind.CoMoments"/> job).</summary>
    public ref PartialCoMoments CoMoments(int job) => ref _coMoments[Check(job)];

    /// <summary>Where job <paramref name="job"/>'s slot starts in <see cref="ValueBuffer"/>.</summary>
    public int ValueStart(int job) => _valueStart[Check(job)];

    /// <summary>How many sorted values job <paramref name="job"/> wrote.</summary>
    public int ValueCount(int job) => _valueCount[Check(job)];

    /// <summary>Records that job <paramref name="job"/> wrote <paramref name="count"/> values (at most its range's length).</summary>
    public void SetValueCount(int job, int count) => _valueCount[Check(job)] = count;

    /// <summary>The per-job value counts of the batch, to fill in one copy (a device download).</summary>
    public Span<int> ValueCounts => _valueCount.AsSpan(0, JobCount);

    /// <summary>The batch's whole value buffer (every slot), to fill in one copy (a device download).</summary>
    public Span<double> ValueBuffer => _values.AsSpan(0, ValueCapacity);

    /// <summary>Job <paramref name="job"/>'s whole slot, to write its values into: its range's length.</summary>
    public Span<double> ValueSlot(int job, int length) => _values.AsSpan(_valueStart[Check(job)], length);

    /// <summary>The sorted non-null values job <paramref name="job"/> produced.</summary>
    public ReadOnlySpan<double> SortedValues(int job) => _values.AsSpan(_valueStart[Check(job)], _valueCount[job]);

    private int Check(int job) =>
        (uint)job < (uint)JobCount ? job : throw new ArgumentOutOfRangeException(nameof(job), $"Job {job} is outside the batch of {JobCount}.");
}
