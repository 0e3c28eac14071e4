namespace Biathlon.Engine.Runtime;

/// <summary>
/// Exponentially weighted averages of what the engine measured while serving: seconds per sampled row of each query,
/// seconds per QMC round (propagation and model), and seconds per single-row model call. They decide when exact
/// serving is cheaper than a QMC round (decisions a result records, since they depend on earlier traffic). The
/// planner's priorities use <see cref="PrioritySecondsPerRow"/> instead, which traffic never changes. Thread-safe
/// without locks: every request observes every query on every round, so a lock here serialised all serving threads.
/// Each average is a double stored as its bits and updated by compare-and-swap; its observation count is an
/// interlocked counter. A reader sees each average whole, though not all averages as of one instant: the decisions
/// built on them are heuristics that already depend on traffic order.
/// </summary>
internal sealed class CostStatistics
{
    /// <summary>Observations before the averages are trusted for the exact shortcut.</summary>
    public const int WarmUp = 5;

    private const double Weight = 0.1;
    private const double DefaultSecondsPerRow = 1e-9;

    private readonly long[] _secondsPerRow;
    private readonly int[] _rowObservations;
    private readonly double[] _prioritySecondsPerRow;
    private long _roundSeconds;
    private int _roundObservations;
    private long _singleRowSeconds;
    private int _singleRowObservations;

    public CostStatistics(int queries)
    {
        _secondsPerRow = new long[queries];
        Array.Fill(_secondsPerRow, BitConverter.DoubleToInt64Bits(DefaultSecondsPerRow));
        _rowObservations = new int[queries];
        _prioritySecondsPerRow = new double[queries];
        Array.Fill(_prioritySecondsPerRow, DefaultSecondsPerRow);
    }

    public double SecondsPerRow(int query) => Read(ref _secondsPerRow[query]);

    /// <summary>The per-row price the planner's priorities use: the offline profile's, else a default; fixed after load, so plans replay.</summary>
    public double PrioritySecondsPerRow(int query) => _prioritySecondsPerRow[query];

    public double RoundSeconds => Read(ref _roundSeconds);

    /// <summary>Seeds the model costs with a measurement taken at load, so the shortcuts work from the first request.</summary>
    public void Calibrate(double roundSeconds, double singleRowSeconds)
    {
        Volatile.Write(ref _roundSeconds, BitConverter.DoubleToInt64Bits(roundSeconds));
        Volatile.Write(ref _singleRowSeconds, BitConverter.DoubleToInt64Bits(singleRowSeconds));
        AtLeast(ref _roundObservations, WarmUp);
        AtLeast(ref _singleRowObservations, WarmUp);
    }

    /// <summary>Starts a query's seconds-per-row average from an offline profile (at load, before any request).</summary>
    public void SeedSecondsPerRow(int query, double secondsPerRow)
    {
        if (!(secondsPerRow > 0) || double.IsInfinity(secondsPerRow))
        {
            return;
        }

        Volatile.Write(ref _secondsPerRow[query], BitConverter.DoubleToInt64Bits(secondsPerRow));
        _prioritySecondsPerRow[query] = secondsPerRow;
        AtLeast(ref _rowObservations[query], 1);
    }

    public void ObserveRows(int query, long rows, double seconds)
    {
        if (rows < 256)
        {
            return; // fixed overheads dominate tiny reads
        }

        Observe(ref _secondsPerRow[query], ref _rowObservations[query], seconds / rows);
    }

    public void ObserveRound(double seconds) => Observe(ref _roundSeconds, ref _roundObservations, seconds);

    public void ObserveSingleRow(double seconds) => Observe(ref _singleRowSeconds, ref _singleRowObservations, seconds);

    /// <summary>
    /// True when reading every row of every query and one single-row model call is predicted cheaper than the first
    /// approximate round (its sample plus a QMC round). Never true before the averages are warm.
    /// </summary>
    public bool ExactIsCheaper(ReadOnlySpan<long> estimatedRows, ReadOnlySpan<int> initialPartitions, int totalPartitions)
    {
        if (Volatile.Read(ref _roundObservations) < WarmUp || Volatile.Read(ref _singleRowObservations) < WarmUp)
        {
            return false;
        }

        double exact = Read(ref _singleRowSeconds), approximate = Read(ref _roundSeconds);
        for (var q = 0; q < estimatedRows.Length; q++)
        {
            var secondsPerRow = SecondsPerRow(q);
            exact += estimatedRows[q] * secondsPerRow;
            approximate += estimatedRows[q] * (double)initialPartitions[q] / totalPartitions * secondsPerRow;
        }

        return exact <= approximate;
    }

    /// <summary>Sets to exact every query whose full read is predicted to cost no more than one QMC round (once warm).</summary>
    public void StartCheapQueriesExact(ReadOnlySpan<long> estimatedRows, Span<int> plan, int totalPartitions)
    {
        if (Volatile.Read(ref _roundObservations) < WarmUp)
        {
            return;
        }

        var roundSeconds = Read(ref _roundSeconds);
        for (var q = 0; q < estimatedRows.Length; q++)
        {
            if (estimatedRows[q] * SecondsPerRow(q) <= roundSeconds)
            {
                plan[q] = totalPartitions;
            }
        }
    }

    private static double Read(ref long bits) => BitConverter.Int64BitsToDouble(Volatile.Read(ref bits));

    /// <summary>Blends <paramref name="value"/> into the average: the count is claimed first, then the average is swapped in until no other observation raced it.</summary>
    private static void Observe(ref long average, ref int observations, double value)
    {
        var seen = Interlocked.Increment(ref observations) - 1;
        var current = Volatile.Read(ref average);
        while (true)
        {
            var blended = BitConverter.DoubleToInt64Bits(Blend(BitConverter.Int64BitsToDouble(current), value, seen));
            var found = Interlocked.CompareExchange(ref average, blended, current);
            if (found == current)
            {
                return;
            }

            current = found;
        }
    }

    private static void AtLeast(ref int counter, int minimum)
    {
        var current = Volatile.Read(ref counter);
        while (current < minimum)
        {
            var found = Interlocked.CompareExchange(ref counter, minimum, current);
            if (found == current)
            {
                return;
            }

            current = found;
        }
    }

    private static double Blend(double average, double value, int observations) =>
        observations == 0 ? value : average + Weight * (value - average);
}
