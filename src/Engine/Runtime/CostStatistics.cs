namespace Biathlon.Engine.Runtime;

/// <summary>
/// Exponentially weighted averages of what the engine measured while serving: seconds per sampled row of each query,
/// seconds per QMC round (propagation and model), and seconds per single-row model call. They decide when exact
/// serving is cheaper than a QMC round (decisions a result records, since they depend on earlier traffic). The
/// planner's priorities use <see cref="PrioritySecondsPerRow"/> instead, which traffic never changes. Thread-safe.
/// </summary>
internal sealed class CostStatistics(int queries)
{
    /// <summary>Observations before the averages are trusted for the exact shortcut.</summary>
    public const int WarmUp = 5;

    private const double Weight = 0.1;
    private const double DefaultSecondsPerRow = 1e-9;

    private readonly object _gate = new();
    private readonly double[] _secondsPerRow = Enumerable.Repeat(DefaultSecondsPerRow, queries).ToArray();
    private readonly int[] _rowObservations = new int[queries];
    private readonly double[] _prioritySecondsPerRow = Enumerable.Repeat(DefaultSecondsPerRow, queries).ToArray();
    private double _roundSeconds;
    private int _roundObservations;
    private double _singleRowSeconds;
    private int _singleRowObservations;

    public double SecondsPerRow(int query)
    {
        lock (_gate)
        {
            return _secondsPerRow[query];
        }
    }

    /// <summary>The per-row price the planner's priorities use: the offline profile's, else a default; fixed after load, so plans replay.</summary>
    public double PrioritySecondsPerRow(int query) => _prioritySecondsPerRow[query];

    public double RoundSeconds
    {
        get
        {
            lock (_gate)
            {
                return _roundSeconds;
            }
        }
    }

    /// <summary>Seeds the model costs with a measurement taken at load, so the shortcuts work from the first request.</summary>
    public void Calibrate(double roundSeconds, double singleRowSeconds)
    {
        lock (_gate)
        {
            _roundSeconds = roundSeconds;
            _singleRowSeconds = singleRowSeconds;
            _roundObservations = Math.Max(_roundObservations, WarmUp);
            _singleRowObservations = Math.Max(_singleRowObservations, WarmUp);
        }
    }

    /// <summary>Starts a query's seconds-per-row average from an offline profile.</summary>
    public void SeedSecondsPerRow(int query, double secondsPerRow)
    {
        if (!(secondsPerRow > 0) || double.IsInfinity(secondsPerRow))
        {
            return;
        }

        lock (_gate)
        {
            _secondsPerRow[query] = secondsPerRow;
            _prioritySecondsPerRow[query] = secondsPerRow;
            _rowObservations[query] = Math.Max(_rowObservations[query], 1);
        }
    }

    public void ObserveRows(int query, long rows, double seconds)
    {
        if (rows < 256)
        {
            return; // fixed overheads dominate tiny reads
        }

        lock (_gate)
        {
            _secondsPerRow[query] = Blend(_secondsPerRow[query], seconds / rows, _rowObservations[query]++);
        }
    }

    public void ObserveRound(double seconds)
    {
        lock (_gate)
        {
            _roundSeconds = Blend(_roundSeconds, seconds, _roundObservations++);
        }
    }

    public void ObserveSingleRow(double seconds)
    {
        lock (_gate)
        {
            _singleRowSeconds = Blend(_singleRowSeconds, seconds, _singleRowObservations++);
        }
    }

    /// <summary>
    /// True when reading every row of every query and one single-row model call is predicted cheaper than the first
    /// approximate round (its sample plus a QMC round). Never true before the averages are warm.
    /// </summary>
    public bool ExactIsCheaper(ReadOnlySpan<long> estimatedRows, ReadOnlySpan<int> initialPartitions, int totalPartitions)
    {
        lock (_gate)
        {
            if (_roundObservations < WarmUp || _singleRowObservations < WarmUp)
            {
                return false;
            }

            double exact = _singleRowSeconds, approximate = _roundSeconds;
            for (var q = 0; q < estimatedRows.Length; q++)
            {
                exact += estimatedRows[q] * _secondsPerRow[q];
                approximate += estimatedRows[q] * (double)initialPartitions[q] / totalPartitions * _secondsPerRow[q];
            }

            return exact <= approximate;
        }
    }

    /// <summary>Sets to exact every query whose full read is predicted to cost no more than one QMC round (once warm).</summary>
    public void StartCheapQueriesExact(ReadOnlySpan<long> estimatedRows, Span<int> plan, int totalPartitions)
    {
        lock (_gate)
        {
            if (_roundObservations < WarmUp)
            {
                return;
            }

            for (var q = 0; q < estimatedRows.Length; q++)
            {
                if (estimatedRows[q] * _secondsPerRow[q] <= _roundSeconds)
                {
                    plan[q] = totalPartitions;
                }
            }
        }
    }

    private static double Blend(double average, double value, int observations) =>
        observations == 0 ? value : average + Weight * (value - average);
}
