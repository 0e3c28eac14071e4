using Biathlon.Sampling.Numerics;

namespace Biathlon.Sampling;

/// <summary>
/// A growing sample of one predicate's rows and the running state of its aggregates. The sample at fraction z is
/// partitions [0, P·z); <see cref="WidenTo"/> reads only partitions not yet read and merges them into the running
/// state, so no row is ever read twice. Not thread-safe: one cursor serves one request. Dispose it when done: quantile
/// and distinct-count samples hold pooled buffers.
/// </summary>
public sealed class SampleCursor : IDisposable
{
    private const int ChunkLength = 1024;

    private readonly Layout _layout;
    private readonly BoundPredicate _predicate;
    private readonly AggregateSpec[] _aggregates;
    private readonly EstimatorOptions _options;
    private readonly ColumnAccumulator[] _accumulators;
    private readonly int[] _accumulatorOf;
    private readonly double[]?[] _distributions;
    private int[] _scratch = [];

    internal SampleCursor(Layout layout, BoundPredicate predicate, IReadOnlyList<AggregateSpec> aggregates, EstimatorOptions options)
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
        _accumulatorOf = new int[_aggregates.Length];
        _distributions = new double[]?[_aggregates.Length];
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
    }

    /// <summary>The aggregates, in the order given.</summary>
    public IReadOnlyList<AggregateSpec> Aggregates => _aggregates;

    /// <summary>The predicate sampled.</summary>
    public BoundPredicate Predicate => _predicate;

    /// <summary>Partitions read so far (k of P).</summary>
    public int PartitionsRead { get; private set; }

    /// <summary>The sample fraction z = k / P.</summary>
    public double Fraction => (double)PartitionsRead / _layout.PartitionCount;

    /// <summary>True once every partition has been read: every estimate is then exact.</summary>
    public bool IsExact => PartitionsRead == _layout.PartitionCount;

    /// <summary>Rows inside the predicate's ranges read so far (before extra filters).</summary>
    public long RowsScanned { get; private set; }

    /// <summary>Rows read so far that passed the extra filters.</summary>
    public long RowsMatched { get; private set; }

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

    /// <summary>Widens the sample to the first <paramref name="partitions"/> partitions, in [1, P].</summary>
    public void WidenToPartitions(int partitions)
    {
        if (partitions < 1 || partitions > _layout.PartitionCount)
        {
            throw new QueryException(
                "partitions", $"Partition count must lie in [1, {_layout.PartitionCount}] (got {partitions}).");
        }

        for (var p = PartitionsRead; p < partitions; p++)
        {
            ReadPartition(p);
        }

        // Sorted samples take the new partitions' values in one sort and merge, not one per partition.
        foreach (var acc in _accumulators)
        {
            acc.EndWidening();
        }

        PartitionsRead = Math.Max(PartitionsRead, partitions);
    }

    /// <summary>The estimate of aggregate <paramref name="index"/> from the sample read so far.</summary>
    public FeatureEstimate Estimate(int index)
    {
        if (PartitionsRead == 0)
        {
            throw new QueryException("z", "The cursor has read no partition yet: call WidenTo first.");
        }

        var spec = _aggregates[index];
        var p = Fraction;
        var exact = IsExact;
        var seed = SplitMix64.Hash(SplitMix64.Hash(_options.Seed, (ulong)index), (ulong)PartitionsRead);
        if (_accumulatorOf[index] < 0)
        {
            return ClosedFormEstimators.Count(RowsMatched, 0, p, exact, _options);
        }

        var acc = _accumulators[_accumulatorOf[index]];
        switch (spec.Op)
        {
            case AggregateOp.Count:
                return ClosedFormEstimators.Count(acc.NonNull, acc.Nulls, p, exact, _options);
            case AggregateOp.Sum:
                return ClosedFormEstimators.Sum(acc.Moments, acc.Nulls, p, exact, _options);
            case AggregateOp.Avg:
                return ClosedFormEstimators.Avg(acc.Moments, acc.Nulls, p, exact, _options);
            case AggregateOp.Var:
                return ClosedFormEstimators.Var(acc.Moments, acc.Nulls, p, exact, _options);
            case AggregateOp.Std:
                return ClosedFormEstimators.Std(acc.Moments, acc.Nulls, p, exact, _options);
            case AggregateOp.Min or AggregateOp.Max:
            {
                var isMax = spec.Op == AggregateOp.Max;
                var extremes = isMax ? acc.Extremes!.Largest : acc.Extremes!.Smallest;
                return ExtremeEstimator.Estimate(
                    extremes, isMax, acc.NonNull, acc.Nulls, p, exact, _options, seed, Distribution(index));
            }

            case AggregateOp.CountDistinct:
                return DistinctCountEstimator.Estimate(
                    acc.Sorted!.Values, acc.Nulls, p, exact, _options, seed, Distribution(index), Scratch(acc.Sorted.Count));
            default:
                return QuantileEstimator.Estimate(
                    acc.Sorted!.Values, spec.EffectiveQuantile, acc.Nulls, p, exact, _options, seed, Distribution(index),
                    Scratch(acc.Sorted.Count));
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

    private void ReadPartition(int p)
    {
        var range = _layout.FindRange(_predicate, p);
        if (range.IsEmpty)
        {
            return;
        }

        var partition = _layout.Partition(p);
        RowsScanned += range.Length;
        if (!_predicate.HasFilters)
        {
            RowsMatched += range.Length;
            foreach (var acc in _accumulators)
            {
                acc.AddRange(partition, range);
            }
        }
        else
        {
            ReadFiltered(partition, range);
        }
    }

    private void ReadFiltered(LayoutPartition partition, RowRange range)
    {
        Span<bool> pass = stackalloc bool[ChunkLength];
        Span<int> selected = stackalloc int[ChunkLength];
        Span<double> buffer = stackalloc double[ChunkLength];
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
            if (count == 0)
            {
                continue;
            }

            foreach (var acc in _accumulators)
            {
                acc.AddSelected(partition, start, selected[..count], buffer);
            }
        }
    }

    /// <summary>Returns pooled buffers. Estimates taken earlier stay valid; the cursor must not be widened or estimated again.</summary>
    public void Dispose()
    {
        foreach (var acc in _accumulators)
        {
            acc.Sorted?.Dispose();
        }
    }

    private double[] Distribution(int index) => _distributions[index] ??= new double[_options.BootstrapResamples];

    private int[] Scratch(int length)
    {
        if (_scratch.Length < length)
        {
            _scratch = new int[Math.Max(length, _scratch.Length * 2)];
        }

        return _scratch;
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
}
