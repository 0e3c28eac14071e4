using System.Buffers;
using Biathlon.Sampling.Aggregates.Offload;
using Biathlon.Sampling.Errors;
using Biathlon.Sampling.Estimators;
using Biathlon.Sampling.Layouts;
using Biathlon.Sampling.Queries;
using Biathlon.Sampling.Schema;

namespace Biathlon.Sampling.Aggregates;

/// <summary>
/// A growing sample of one predicate's rows and the running state of its aggregates. The sample at fraction z is the
/// first P·z partitions of the cursor's <see cref="PartitionOrder"/>; <see cref="WidenTo"/> reads only partitions not
/// yet read and merges them into the running state, so no row is ever read twice. When the table has a census
/// stratum, the first widening also reads the predicate's census rows in full, into a state of their own, and every
/// estimate combines the exact census with the sampled rest. Not thread-safe: one cursor serves
/// one request at a time; <see cref="Restart"/> empties it for the next one, keeping its buffers, so a pooled cursor
/// serves request after request without allocating. Dispose it when done: quantile and distinct-count samples hold
/// pooled buffers.
/// </summary>
public sealed class SampleCursor : IDisposable
{
    private const int ChunkLength = 1024;

    private readonly Layout _layout;
    private readonly AggregateSpec[] _aggregates;
    private readonly EstimatorOptions _options;
    private readonly ColumnAccumulator[] _accumulators;

    // The census state, kept for reuse; _census points at it while the census is a stratum of its own and is null once
    // it is folded into the sample (or never read: an exact first read).
    private readonly ColumnAccumulator[]? _censusState;
    private ColumnAccumulator[]? _census;
    private long _censusRowsMatched;
    private BoundPredicate _predicate;
    private readonly int[] _accumulatorOf;
    private readonly double[]?[] _grids;
    private readonly (int X, int Y)[] _pairs;
    private readonly CoMomentState[] _comoments;
    private bool _valuesOnly;

    // Estimates are pure functions of the sample: each is kept until a widening reads a new partition.
    private readonly FeatureEstimate[] _estimates;
    private readonly long[] _estimatedAt;
    private long _sampleVersion = 1;

    // A widening handed to a compute backend (TryPlanWidening) and not yet merged (CompleteWidening).
    private readonly WideningPlan _plan = new();

    // A remote layout's rows, per partition (the census last), handed over by a partition source before a widening.
    private readonly LayoutPartition?[]? _fetched;

    internal SampleCursor(
        Layout layout, BoundPredicate predicate, IReadOnlyList<AggregateSpec> aggregates, EstimatorOptions options, PartitionOrder order)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        ArgumentNullException.ThrowIfNull(aggregates);
        if (!ReferenceEquals(predicate.Layout, layout))
        {
            throw new QueryException("predicate", $"The predicate was bound to layout '{predicate.Layout.Name}', not '{layout.Name}'.");
        }

        if (aggregates.Count == 0)
        {
            throw new QueryException("aggregates", "A cursor needs at least one aggregate.");
        }

        _layout = layout;
        _predicate = predicate;
        _aggregates = [.. aggregates];
        _options = options;
        Order = order;
        _accumulatorOf = new int[_aggregates.Length];
        _grids = new double[]?[_aggregates.Length];
        var accumulators = new List<ColumnAccumulator>();
        var schema = layout.Table.Schema;
        for (var i = 0; i < _aggregates.Length; i++)
        {
            var spec = _aggregates[i];
            Validate(spec, schema);
            if (spec.Column is null)
            {
                _accumulatorOf[i] = -1;
                continue;
            }

            var ordinal = schema.Ordinal(spec.Column);
            var index = accumulators.FindIndex(a => a.Ordinal == ordinal);
            if (index < 0)
            {
                index = accumulators.Count;
                accumulators.Add(new ColumnAccumulator(ordinal, schema[ordinal].Type));
            }

            accumulators[index].Require(spec.Op);
            _accumulatorOf[i] = index;
        }

        _accumulators = [.. accumulators];
        if (layout.HasCensus)
        {
            _census = _censusState = new ColumnAccumulator[_accumulators.Length];
            for (var a = 0; a < _census.Length; a++)
            {
                _census[a] = new ColumnAccumulator(_accumulators[a].Ordinal, _accumulators[a].Type);
            }

            for (var i = 0; i < _aggregates.Length; i++)
            {
                if (_accumulatorOf[i] >= 0)
                {
                    _census[_accumulatorOf[i]].Require(_aggregates[i].Op);
                }
            }
        }

        // Columns with moments pairwise: their co-moments correlate AVG/SUM errors across columns of this query.
        var pairs = new List<(int, int)>();
        for (var a = 0; a < _accumulators.Length; a++)
        {
            for (var b = a + 1; b < _accumulators.Length; b++)
            {
                if (_accumulators[a].MomentOrder > 0 && _accumulators[b].MomentOrder > 0)
                {
                    pairs.Add((a, b));
                }
            }
        }

        _pairs = [.. pairs];
        _comoments = new CoMomentState[_pairs.Length];
        _estimates = new FeatureEstimate[_aggregates.Length];
        _estimatedAt = new long[_aggregates.Length];
        _fetched = layout.IsRemote ? new LayoutPartition?[layout.PartitionCount + 1] : null;
        Index = layout.RemoteIndex;
    }

    /// <summary>The aggregates, in the order given.</summary>
    public IReadOnlyList<AggregateSpec> Aggregates => _aggregates;

    /// <summary>The predicate sampled.</summary>
    public BoundPredicate Predicate => _predicate;

    /// <summary>
    /// The snapshot of a remote layout's index this cursor reads by (null in process): taken when it opens or restarts,
    /// or pinned by the caller, so every round of a request fetches by one version even while appends are published.
    /// </summary>
    internal Sources.RemoteLayoutIndex? Index { get; private set; }

    /// <summary>Makes the cursor read by <paramref name="index"/> (one snapshot a request took for all its queries).</summary>
    internal void Pin(Sources.RemoteLayoutIndex index) => Index = index;

    /// <summary>The order in which partitions are read.</summary>
    public PartitionOrder Order { get; private set; }

    /// <summary>Partitions read so far (k of P).</summary>
    public int PartitionsRead { get; private set; }

    /// <summary>The sample fraction z = k / P.</summary>
    public double Fraction => (double)PartitionsRead / _layout.PartitionCount;

    /// <summary>True once every partition has been read: every estimate is then exact.</summary>
    public bool IsExact => PartitionsRead == _layout.PartitionCount;

    /// <summary>Rows inside the predicate's ranges read so far (before extra filters), census rows included.</summary>
    public long RowsScanned { get; private set; }

    /// <summary>Rows read so far that passed the extra filters, census rows included.</summary>
    public long RowsMatched { get; private set; }

    /// <summary>
    /// Empties the cursor and points it at <paramref name="predicate"/> (bound to the same layout) read in
    /// <paramref name="order"/>: afterwards it behaves exactly as a cursor freshly opened with them, but keeps its
    /// buffers, so a pool of cursors serves requests without allocating. Estimates taken earlier may share buffers
    /// with the new sample's: copy what must outlive the restart.
    /// </summary>
    public void Restart(BoundPredicate predicate, PartitionOrder order)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        if (!ReferenceEquals(predicate.Layout, _layout))
        {
            throw new QueryException("predicate", $"The predicate was bound to layout '{predicate.Layout.Name}', not '{_layout.Name}'.");
        }

        _predicate = predicate;
        Order = order;
        PartitionsRead = 0;
        RowsScanned = 0;
        RowsMatched = 0;
        _censusRowsMatched = 0;
        _valuesOnly = false;
        _sampleVersion++;
        _plan.Clear();
        foreach (var acc in _accumulators)
        {
            acc.Reset();
        }

        _census = _censusState;
        foreach (var acc in _census ?? [])
        {
            acc.Reset();
        }

        Array.Clear(_comoments);
        if (_fetched is not null)
        {
            Array.Clear(_fetched);
            Index = _layout.RemoteIndex;
        }
    }

    /// <summary>
    /// The partitions a widening to <paramref name="partitions"/> will read, appended to <paramref name="slots"/>: the
    /// census (as partition P) on the first widening of a layout that has one, then the new partitions of the order.
    /// A partition source fetches exactly these for a remote layout.
    /// </summary>
    internal void ListPending(int partitions, List<int> slots)
    {
        CheckPartitions(partitions);
        var total = _layout.PartitionCount;
        if (PartitionsRead == 0 && _layout.HasCensus)
        {
            slots.Add(total);
        }

        for (var k = PartitionsRead; k < partitions; k++)
        {
            slots.Add(Order.PartitionAt(k, total));
        }
    }

    /// <summary>
    /// Hands the cursor the rows of its group in partition <paramref name="partition"/> (P: the census), sorted by time,
    /// as a partition source fetched them; the next widening reads them once and lets them go.
    /// </summary>
    internal void Provide(int partition, LayoutPartition rows)
    {
        if (_fetched is null)
        {
            throw new InvalidOperationException($"Layout '{_layout.Name}' is in process: its cursors read partitions directly.");
        }

        _fetched[partition] = rows;
    }

    /// <summary>
    /// Widens the sample to fraction <paramref name="z"/> in (0, 1], rounded up to the 1/P grid. A fraction at or below
    /// the current one leaves the sample as it is (samples never shrink).
    /// </summary>
    public void WidenTo(double z)
    {
        if (!(z > 0 && z <= 1))
        {
            throw new QueryException("z", $"Sample fraction z must lie in (0, 1] (got {z}).");
        }

        // Round up to the grid, forgiving floating error such as 0.07 · 100 = 7.000000000000001.
        var partitions = (int)Math.Ceiling(z * _layout.PartitionCount - 1e-9);
        WidenToPartitions(Math.Clamp(partitions, 1, _layout.PartitionCount));
    }

    /// <summary>Widens the sample to the first <paramref name="partitions"/> partitions of its order, in [1, P].</summary>
    public void WidenToPartitions(int partitions)
    {
        var total = _layout.PartitionCount;
        CheckPartitions(partitions);
        _plan.Clear();
        var first = BeginWidening(partitions);
        var buffer = _accumulators.Length == 0 ? null : ArrayPool<double>.Shared.Rent(_accumulators.Length * ChunkLength);
        try
        {
            if (first && _layout.HasCensus)
            {
                ReadPartition(total, buffer, _census ?? _accumulators, census: true);
                foreach (var acc in _census ?? [])
                {
                    acc.EndWidening();
                }
            }

            for (var k = PartitionsRead; k < partitions; k++)
            {
                // A cursor exact from its first read sums every partition anyway: in index order, so exact values are
                // bit-identical whatever the order (a shuffled order would round differently from request to request).
                ReadPartition(_valuesOnly ? k : Order.PartitionAt(k, total), buffer, _accumulators, census: false);
            }
        }
        finally
        {
            if (buffer is not null)
            {
                ArrayPool<double>.Shared.Return(buffer);
            }
        }

        EndWidening(partitions);
    }

    /// <summary>
    /// Plans the widening to <paramref name="partitions"/> for a compute backend without changing the sample: appends
    /// to <paramref name="jobs"/>, for every non-empty range the CPU path would read (the census first, on the first
    /// widening; then the new partitions, in index order when the cursor is exact from its first read), one
    /// <see cref="ColumnJobKind.Moments"/> job per column, one <see cref="ColumnJobKind.SortedValues"/> job per column
    /// with quantiles, distinct counts, MIN or MAX, and (sampled ranges of a cursor that keeps errors) one
    /// <see cref="ColumnJobKind.CoMoments"/> job per column pair. Run them, then call <see cref="CompleteWidening"/>
    /// with their results; or call <see cref="WidenToPartitions"/> instead, which drops the plan. False (nothing
    /// appended) when the cursor must widen on the CPU: its predicate has extra filters, which select rows inside the
    /// ranges row by row.
    /// </summary>
    internal bool TryPlanWidening(int partitions, List<ColumnRangeJob> jobs)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        CheckPartitions(partitions);
        _plan.Clear();
        if (_predicate.HasFilters || _layout.IsRemote)
        {
            return false;
        }

        var total = _layout.PartitionCount;
        var first = PartitionsRead == 0;
        var valuesOnly = _valuesOnly || (first && partitions == total);
        var before = jobs.Count;
        if (first && _layout.HasCensus)
        {
            PlanRange(total, census: true, valuesOnly, jobs);
        }

        for (var k = PartitionsRead; k < partitions; k++)
        {
            PlanRange(valuesOnly ? k : Order.PartitionAt(k, total), census: false, valuesOnly, jobs);
        }

        _plan.Activate(partitions, jobs.Count - before);
        return true;
    }

    /// <summary>
    /// Merges the results of the jobs <see cref="TryPlanWidening"/> appended, which sit in <paramref name="results"/>
    /// at [<paramref name="firstJob"/>, <paramref name="firstJob"/> + their count), into the running state exactly as
    /// <see cref="WidenToPartitions"/> would have read them: afterwards estimates and correlations agree with a cursor
    /// widened on the CPU (moments to rounding, counts, extremes and sorted values exactly).
    /// </summary>
    internal void CompleteWidening(int partitions, ColumnJobResults results, int firstJob)
    {
        ArgumentNullException.ThrowIfNull(results);
        if (!_plan.IsActive || _plan.Partitions != partitions)
        {
            throw new InvalidOperationException(
                $"No widening to {partitions} partitions was planned: call TryPlanWidening({partitions}, jobs) first.");
        }

        if (firstJob < 0 || firstJob + _plan.JobCount > results.JobCount)
        {
            throw new ArgumentOutOfRangeException(
                nameof(firstJob), $"The plan's {_plan.JobCount} jobs from {firstJob} do not fit the {results.JobCount} results.");
        }

        BeginWidening(partitions);
        var job = firstJob;
        foreach (var planned in _plan.Ranges)
        {
            var target = planned.Census ? _census ?? _accumulators : _accumulators;
            var rows = planned.Range.Length;
            RowsScanned += rows;
            RowsMatched += rows;
            if (planned.Census && !ReferenceEquals(target, _accumulators))
            {
                _censusRowsMatched += rows;
            }

            for (var a = 0; a < target.Length; a++)
            {
                ref readonly var moments = ref results.Moments(job++);
                var sorted = NeedsSortedValues(target[a]) ? results.SortedValues(job++) : default;
                target[a].AddPartial(moments, sorted);
            }

            if (!planned.Census && !_valuesOnly)
            {
                for (var k = 0; k < _pairs.Length; k++)
                {
                    _comoments[k].Merge(results.CoMoments(job++));
                }
            }

            if (planned.Census)
            {
                foreach (var acc in _census ?? [])
                {
                    acc.EndWidening();
                }
            }
        }

        _plan.Clear();
        EndWidening(partitions);
    }

    private void PlanRange(int p, bool census, bool valuesOnly, List<ColumnRangeJob> jobs)
    {
        var range = _layout.FindRange(_predicate, p);
        if (range.IsEmpty)
        {
            return;
        }

        _plan.Add(p, range, census);
        foreach (var acc in _accumulators)
        {
            // The census state has the same columns and needs as the sample's, so one job list fits either target.
            jobs.Add(new ColumnRangeJob(_layout, p, acc.Ordinal, -1, range, ColumnJobKind.Moments));
            if (NeedsSortedValues(acc))
            {
                jobs.Add(new ColumnRangeJob(_layout, p, acc.Ordinal, -1, range, ColumnJobKind.SortedValues));
            }
        }

        if (!census && !valuesOnly)
        {
            foreach (var (x, y) in _pairs)
            {
                jobs.Add(new ColumnRangeJob(_layout, p, _accumulators[x].Ordinal, _accumulators[y].Ordinal, range, ColumnJobKind.CoMoments));
            }
        }
    }

    private static bool NeedsSortedValues(ColumnAccumulator acc) => acc.Sorted is not null || acc.Extremes is not null;

    private void CheckPartitions(int partitions)
    {
        var total = _layout.PartitionCount;
        if (partitions < 1 || partitions > total)
        {
            throw new QueryException("partitions", $"Partition count must lie in [1, {total}] (got {partitions}).");
        }
    }

    /// <summary>The state changes a widening makes before reading: true on the first widening.</summary>
    private bool BeginWidening(int partitions)
    {
        var first = PartitionsRead == 0;
        if (partitions > PartitionsRead)
        {
            _sampleVersion++;
        }

        if (first && partitions == _layout.PartitionCount)
        {
            // Exact from the first read: no estimate will carry an error, so keep only what the values need, census
            // rows included.
            _valuesOnly = true;
            _census = null;
            foreach (var acc in _accumulators)
            {
                acc.KeepValuesOnly();
            }
        }

        return first;
    }

    /// <summary>The state changes a widening makes after reading its partitions.</summary>
    private void EndWidening(int partitions)
    {
        // Sorted samples take the new partitions' values in one sort and merge, not one per partition.
        foreach (var acc in _accumulators)
        {
            acc.EndWidening();
        }

        PartitionsRead = Math.Max(PartitionsRead, partitions);
        if (IsExact && _census is { } census)
        {
            // Every row is read: the strata merge and every estimate is exact. The census state stays for a restart.
            for (var a = 0; a < _accumulators.Length; a++)
            {
                _accumulators[a].Absorb(census[a]);
            }

            _census = null;
        }
    }

    /// <summary>The estimate of aggregate <paramref name="index"/> from the sample read so far (computed once per widening).</summary>
    public FeatureEstimate Estimate(int index)
    {
        if (PartitionsRead == 0)
        {
            throw new QueryException("z", "The cursor has read no partition yet: call WidenTo first.");
        }

        if (_estimatedAt[index] != _sampleVersion)
        {
            _estimates[index] = Compute(index);
            _estimatedAt[index] = _sampleVersion;
        }

        return _estimates[index];
    }

    private FeatureEstimate Compute(int index)
    {
        var spec = _aggregates[index];
        var p = Fraction;
        var exact = IsExact;
        if (_accumulatorOf[index] < 0)
        {
            return ClosedFormEstimators.Count(RowsMatched - _censusRowsMatched, _censusRowsMatched, 0, p, exact, _options);
        }

        var acc = _accumulators[_accumulatorOf[index]];
        var census = _census?[_accumulatorOf[index]];
        var censusMoments = census?.Moments ?? default;
        var nulls = acc.Nulls + (census?.Nulls ?? 0);
        switch (spec.Op)
        {
            case AggregateOp.Count:
                return ClosedFormEstimators.Count(acc.NonNull, census?.NonNull ?? 0, nulls, p, exact, _options);
            case AggregateOp.Sum:
                return ClosedFormEstimators.Sum(acc.Moments, censusMoments, nulls, p, exact, _options);
            case AggregateOp.Avg:
                return ClosedFormEstimators.Avg(acc.Moments, censusMoments, nulls, p, exact, _options);
            case AggregateOp.Var:
                return ClosedFormEstimators.Var(acc.Moments, censusMoments, nulls, p, exact, _options);
            case AggregateOp.Std:
                return ClosedFormEstimators.Std(acc.Moments, censusMoments, nulls, p, exact, _options);
            case AggregateOp.Min or AggregateOp.Max:
            {
                var isMax = spec.Op == AggregateOp.Max;
                var sampled = isMax ? acc.Extremes!.Largest : acc.Extremes!.Smallest;
                var exactPart = census is null ? default : isMax ? census.Extremes!.Largest : census.Extremes!.Smallest;
                return ExtremeEstimator.Estimate(sampled, exactPart, isMax, acc.NonNull + (census?.NonNull ?? 0), nulls, p, exact);
            }

            case AggregateOp.CountDistinct:
                return DistinctCountEstimator.Estimate(acc.Sorted!.Values, nulls, p, exact);
            default:
                return QuantileEstimator.Estimate(
                    acc.Sorted!.Values, census is null ? default : census.Sorted!.Values, spec.EffectiveQuantile, nulls, p, exact, _options,
                    _grids[index] ??= new double[QuantileEstimator.GridPoints]);
        }
    }

    /// <summary>Estimates every aggregate into <paramref name="target"/> (length at least <see cref="Aggregates"/>.Count).</summary>
    public void EstimateAll(Span<FeatureEstimate> target)
    {
        for (var i = 0; i < _aggregates.Length; i++)
        {
            target[i] = Estimate(i);
        }
    }

    /// <summary>
    /// The correlation of the sampling errors of aggregates <paramref name="a"/> and <paramref name="b"/>, estimated from
    /// the same sample: Σψ_a ψ_b / √(Σψ_a² Σψ_b²) over the sampled (non-census) rows, where ψ is each estimator's
    /// linearised influence of a row: 1 for COUNT, x for SUM, x − R for AVG (R its estimate), (x − R)² − σ̂² for VAR
    /// and STD, q − 1{x ≤ ξ̂} for a quantile (ξ̂ its estimate). Pairs on one column are exact in the moments (and one
    /// pass over the sorted sample for quantiles); COUNT, SUM and AVG on two columns use their co-moment; VAR, STD and
    /// quantiles on two different columns are taken as uncorrelated. 0 when either estimate is exact or unknown.
    /// </summary>
    public double Correlation(int a, int b)
    {
        if ((uint)a >= (uint)_aggregates.Length || (uint)b >= (uint)_aggregates.Length)
        {
            throw new ArgumentOutOfRangeException(a < 0 || a >= _aggregates.Length ? nameof(a) : nameof(b), "No such aggregate.");
        }

        if (a == b)
        {
            return 1;
        }

        if (IsExact || PartitionsRead == 0 || _valuesOnly)
        {
            return 0;
        }

        var ea = Estimate(a);
        var eb = Estimate(b);
        if (ea.Error is ErrorKind.Exact or ErrorKind.Unknown || eb.Error is ErrorKind.Exact or ErrorKind.Unknown)
        {
            return 0;
        }

        var ia = Influence(a, ea.Value);
        var ib = Influence(b, eb.Value);
        var ab = Product(ia, ib);
        var aa = Product(ia, ia);
        var bb = Product(ib, ib);
        if (!(aa > 0 && bb > 0) || !double.IsFinite(ab))
        {
            return 0;
        }

        return Math.Clamp(ab / Math.Sqrt(aa * bb), -1, 1);
    }

    /// <summary>Σ ψ_a ψ_b over the sampled rows.</summary>
    private double Product(in InfluenceShape a, in InfluenceShape b)
    {
        if (a.Kind == InfluenceKind.None || b.Kind == InfluenceKind.None)
        {
            return 0;
        }

        if (a.Kind == InfluenceKind.Rows && b.Kind == InfluenceKind.Rows)
        {
            return RowsMatched - _censusRowsMatched;
        }

        // COUNT(*)'s ψ = 1 on every sampled row: against a column aggregate it is that aggregate's Σψ (rows with a null
        // in the column have ψ = 0 there).
        if (a.Kind == InfluenceKind.Rows || b.Kind == InfluenceKind.Rows)
        {
            var other = a.Kind == InfluenceKind.Rows ? b : a;
            return Product(InfluenceShape.Ones(other.Accumulator), other);
        }

        return a.Accumulator == b.Accumulator ? SameColumn(a, b) : CrossColumn(a, b);
    }

    private double SameColumn(InfluenceShape a, InfluenceShape b)
    {
        if (a.Kind > b.Kind)
        {
            (a, b) = (b, a);
        }

        var acc = _accumulators[a.Accumulator];
        var m = acc.Moments;
        double n = acc.NonNull;

        // Moments of the sampled values about a centre c, from their moments about their own mean.
        double Around(double c, int k)
        {
            var d = m.Mean - c;
            return k switch
            {
                1 => n * d,
                2 => m.M2 + n * d * d,
                3 => m.M3 + 3 * d * m.M2 + n * d * d * d,
                _ => m.M4 + 4 * d * m.M3 + 6 * d * d * m.M2 + n * d * d * d * d,
            };
        }

        switch (a.Kind, b.Kind)
        {
            case (InfluenceKind.NonNull, InfluenceKind.NonNull): return n;
            case (InfluenceKind.NonNull, InfluenceKind.Value): return m.Sum;
            case (InfluenceKind.NonNull, InfluenceKind.Centred): return Around(b.Centre, 1);
            case (InfluenceKind.NonNull, InfluenceKind.Squared): return Around(b.Centre, 2) - n * b.Spread;
            case (InfluenceKind.Value, InfluenceKind.Value): return m.SumOfSquares;
            case (InfluenceKind.Value, InfluenceKind.Centred): return Around(b.Centre, 2) + b.Centre * Around(b.Centre, 1);
            case (InfluenceKind.Value, InfluenceKind.Squared):
                return Around(b.Centre, 3) - b.Spread * Around(b.Centre, 1) + b.Centre * (Around(b.Centre, 2) - n * b.Spread);
            case (InfluenceKind.Centred, InfluenceKind.Centred):
                return Around(a.Centre, 2) + (a.Centre - b.Centre) * Around(a.Centre, 1);
            case (InfluenceKind.Centred, InfluenceKind.Squared):
                return Around(b.Centre, 3) - b.Spread * Around(b.Centre, 1) + (b.Centre - a.Centre) * (Around(b.Centre, 2) - n * b.Spread);
            case (InfluenceKind.Squared, InfluenceKind.Squared):
                return Around(a.Centre, 4) - (a.Spread + b.Spread) * Around(a.Centre, 2) + n * a.Spread * b.Spread;
            case (_, InfluenceKind.Indicator) when a.Kind != InfluenceKind.Indicator:
            {
                var q = b.Level;
                BelowThreshold(a.Accumulator, b.Centre, a.Centre, out var count, out var sum, out var squares);
                return a.Kind switch
                {
                    InfluenceKind.NonNull => n * q - count,
                    InfluenceKind.Value => q * m.Sum - sum,
                    InfluenceKind.Centred => q * Around(a.Centre, 1) - (sum - count * a.Centre),
                    _ => q * (Around(a.Centre, 2) - n * a.Spread) - (squares - count * a.Spread),
                };
            }

            case (InfluenceKind.Indicator, InfluenceKind.Indicator):
            {
                if (a.Centre > b.Centre)
                {
                    (a, b) = (b, a);
                }

                BelowThreshold(a.Accumulator, a.Centre, 0, out var ca, out _, out _);
                BelowThreshold(b.Accumulator, b.Centre, 0, out var cb, out _, out _);

                // Σ(qa − 1{x ≤ ξa})(qb − 1{x ≤ ξb}) with ξa ≤ ξb, so 1{x ≤ ξa}·1{x ≤ ξb} = 1{x ≤ ξa}.
                return n * a.Level * b.Level - a.Level * cb - b.Level * ca + ca;
            }

            default:
                return 0;
        }
    }

    private double CrossColumn(in InfluenceShape a, in InfluenceShape b)
    {
        var pair = Array.IndexOf(_pairs, a.Accumulator < b.Accumulator ? (a.Accumulator, b.Accumulator) : (b.Accumulator, a.Accumulator));
        if (pair < 0 || a.Kind is InfluenceKind.Squared or InfluenceKind.Indicator || b.Kind is InfluenceKind.Squared or InfluenceKind.Indicator)
        {
            return 0;
        }

        var c = _comoments[pair];
        double mx = c.MeanX, my = c.MeanY;
        if (a.Accumulator > b.Accumulator)
        {
            (mx, my) = (my, mx);
        }

        // Σ ψa(x) ψb(y) over rows where both are non-null: ψ = 1 (NonNull), x (Value, centre 0) or x − R (Centred).
        var comoment = a.Kind == InfluenceKind.NonNull || b.Kind == InfluenceKind.NonNull ? 0 : c.Comoment;
        var offsetA = a.Kind == InfluenceKind.NonNull ? 1 : mx - a.Centre;
        var offsetB = b.Kind == InfluenceKind.NonNull ? 1 : my - b.Centre;
        return comoment + c.Count * offsetA * offsetB;
    }

    /// <summary>Count, Σ(x − c) … of the sampled values at or below <paramref name="threshold"/>: Σx about 0, Σ(x − c)² about <paramref name="centre"/>.</summary>
    private void BelowThreshold(int accumulator, double threshold, double centre, out double count, out double sum, out double squares)
    {
        count = sum = squares = 0;
        foreach (var v in _accumulators[accumulator].Sorted!.Values)
        {
            if (v > threshold)
            {
                break;
            }

            count++;
            sum += v;
            squares += (v - centre) * (v - centre);
        }
    }

    /// <summary>An aggregate's influence shape, with the centre (R, or ξ̂ for a quantile), spread σ̂² and level, from its <paramref name="estimate"/>.</summary>
    private InfluenceShape Influence(int index, double estimate)
    {
        var spec = _aggregates[index];
        if (spec.Column is null)
        {
            return new InfluenceShape(InfluenceKind.Rows, -1, 0, 0, 0);
        }

        var accumulator = _accumulatorOf[index];
        switch (spec.Op)
        {
            case AggregateOp.Count:
                return new InfluenceShape(InfluenceKind.NonNull, accumulator, 0, 0, 0);
            case AggregateOp.Sum:
                return new InfluenceShape(InfluenceKind.Value, accumulator, 0, 0, 0);
            case AggregateOp.Avg:
                return new InfluenceShape(InfluenceKind.Centred, accumulator, estimate, 0, 0);
            case AggregateOp.Var or AggregateOp.Std:
            {
                var spread = spec.Op == AggregateOp.Std ? estimate * estimate : estimate;
                return new InfluenceShape(InfluenceKind.Squared, accumulator, MeanEstimate(accumulator), spread, 0);
            }

            case AggregateOp.Median or AggregateOp.Percentile:
                return new InfluenceShape(InfluenceKind.Indicator, accumulator, estimate, 0, spec.EffectiveQuantile);
            default:
                return new InfluenceShape(InfluenceKind.None, accumulator, 0, 0, 0);
        }
    }

    /// <summary>The column's estimated mean, census included: the centre of its variance's influence.</summary>
    private double MeanEstimate(int accumulator)
    {
        var m = _accumulators[accumulator].Moments;
        var c = _census?[accumulator].Moments ?? default;
        var p = Fraction;
        var size = c.Count + m.Count / p;
        return size > 0 ? (c.Sum + m.Sum / p) / size : 0;
    }

    /// <summary>Reads the predicate's rows of partition <paramref name="p"/> into <paramref name="target"/> (the census into its own state).</summary>
    private void ReadPartition(int p, double[]? buffer, ColumnAccumulator[] target, bool census)
    {
        LayoutPartition partition;
        RowRange range;
        if (_fetched is not null)
        {
            // A remote layout: the source fetched this group's rows of the partition; no fetch means a caller bug,
            // never an empty partition (which is fetched as zero rows).
            partition = _fetched[p] ?? throw new InvalidOperationException(
                $"Partition {p} of layout '{_layout.Name}' of table '{_layout.Table.Name}' was not fetched before the widening that reads it.");
            _fetched[p] = null;
            range = _predicate.GroupId < 0 ? default : _layout.WindowRange(partition, _predicate);
        }
        else
        {
            range = _layout.FindRange(_predicate, p);
            partition = _layout.Partition(p);
        }

        if (range.IsEmpty)
        {
            return;
        }
        RowsScanned += range.Length;
        var matchedBefore = RowsMatched;
        if (_predicate.HasFilters)
        {
            ReadFiltered(partition, range, buffer, target, census);
        }
        else
        {
            RowsMatched += range.Length;
            if (buffer is not null)
            {
                ReadAll(partition, range, buffer, target, census);
            }
        }

        if (census && !ReferenceEquals(target, _accumulators))
        {
            _censusRowsMatched += RowsMatched - matchedBefore;
        }
    }

    private void ReadAll(LayoutPartition partition, RowRange range, double[] buffer, ColumnAccumulator[] target, bool census)
    {
        for (var start = range.Start; start < range.End; start += ChunkLength)
        {
            var chunk = new RowRange(start, Math.Min(start + ChunkLength, range.End));
            for (var a = 0; a < target.Length; a++)
            {
                target[a].AddValues(target[a].Load(partition, chunk, Slot(buffer, a)));
            }

            if (_pairs.Length > 0 && !_valuesOnly && !census)
            {
                for (var k = 0; k < _pairs.Length; k++)
                {
                    var (x, y) = _pairs[k];
                    _comoments[k].Add(Loaded(partition, chunk, buffer, x), Loaded(partition, chunk, buffer, y));
                }
            }
        }
    }

    private void ReadFiltered(LayoutPartition partition, RowRange range, double[]? buffer, ColumnAccumulator[] target, bool census)
    {
        Span<bool> pass = stackalloc bool[ChunkLength];
        Span<int> selected = stackalloc int[ChunkLength];
        for (var start = range.Start; start < range.End; start += ChunkLength)
        {
            var chunk = new RowRange(start, Math.Min(start + ChunkLength, range.End));
            var mask = pass[..chunk.Length];
            mask.Fill(true);
            foreach (var filter in _predicate.Filters)
            {
                filter.Apply(partition, chunk, mask);
            }

            var count = 0;
            for (var i = 0; i < mask.Length; i++)
            {
                if (mask[i])
                {
                    selected[count++] = i;
                }
            }

            RowsMatched += count;
            if (count == 0 || buffer is null)
            {
                continue;
            }

            for (var a = 0; a < target.Length; a++)
            {
                target[a].AddValues(target[a].Gather(partition, start, selected[..count], Slot(buffer, a)));
            }

            if (_pairs.Length > 0 && !_valuesOnly && !census)
            {
                for (var k = 0; k < _pairs.Length; k++)
                {
                    var (x, y) = _pairs[k];
                    _comoments[k].Add(Slot(buffer, x)[..count], Slot(buffer, y)[..count]);
                }
            }
        }
    }

    private static Span<double> Slot(double[] buffer, int accumulator) => buffer.AsSpan(accumulator * ChunkLength, ChunkLength);

    /// <summary>A chunk's values of column <paramref name="a"/> after <see cref="ColumnAccumulator.Load(LayoutPartition, RowRange, Span{double})"/>: a view for Double columns, else its slot.</summary>
    private ReadOnlySpan<double> Loaded(LayoutPartition partition, RowRange chunk, double[] buffer, int a)
    {
        var acc = _accumulators[a];
        return acc.Type == ColumnType.Double
            ? partition.Doubles(acc.Ordinal).Slice(chunk.Start, chunk.Length)
            : Slot(buffer, a)[..chunk.Length];
    }

    /// <summary>Returns pooled buffers. Estimates taken earlier stay valid; the cursor must not be widened, estimated or restarted again.</summary>
    public void Dispose()
    {
        foreach (var acc in _accumulators)
        {
            acc.Sorted?.Dispose();
        }

        foreach (var acc in _censusState ?? [])
        {
            acc.Sorted?.Dispose();
        }
    }

    private static void Validate(AggregateSpec spec, TableSchema schema)
    {
        if (spec.Column is null)
        {
            if (spec.Op != AggregateOp.Count)
            {
                throw new QueryException("column", $"{spec.Op} needs a column; only COUNT may count rows without one.");
            }

            return;
        }

        var column = schema.Column(spec.Column);
        var needsNumbers = spec.Op is not (AggregateOp.Count or AggregateOp.CountDistinct);
        if (needsNumbers && !column.IsNumeric)
        {
            throw SchemaException.WrongType(spec.Column, column.Type, $"{spec.Op} needs a numeric column (Double, Int64 or Timestamp)");
        }

        if (spec.Op == AggregateOp.Percentile && !(spec.Quantile >= 0 && spec.Quantile <= 1))
        {
            throw new QueryException("quantile", $"PERCENTILE({spec.Column}) needs a quantile in [0, 1] (got {spec.Quantile}).");
        }
    }

    /// <summary>ψ's form for one aggregate: its kind, column, centre (R or ξ̂), spread σ̂² and quantile level.</summary>
    private readonly record struct InfluenceShape(InfluenceKind Kind, int Accumulator, double Centre, double Spread, double Level)
    {
        /// <summary>ψ = 1 on every non-null value of the column: COUNT(*)'s influence restricted to it.</summary>
        public static InfluenceShape Ones(int accumulator) => new(InfluenceKind.NonNull, accumulator, 0, 0, 0);
    }

    /// <summary>The shape of an aggregate's per-row influence on its estimate (ordered: same-column products are looked up with the smaller first).</summary>
    private enum InfluenceKind
    {
        None,
        Rows,
        NonNull,
        Value,
        Centred,
        Squared,
        Indicator,
    }
}
