using Biathlon.Sampling.Aggregates;
using Biathlon.Sampling.Estimators;
using Biathlon.Sampling.Layouts;
using Biathlon.Sampling.Queries;
using Biathlon.Sampling.Schema;

namespace Biathlon.Sampling.Tests;

/// <summary>
/// <see cref="PartitionOrder"/>: a shuffled order is a bijection of [0, P) for any P, looks uniformly random across
/// seeds (chi-square tests at α = 0.001 over fixed, consecutive seeds, so each outcome is deterministic), differs
/// between seeds and rejects positions outside [0, P); a cursor over it reads exactly the partitions it names.
/// </summary>
[Collection(FlightsCollection.Name)]
public sealed class PartitionOrderTests(FlightsFixture flights)
{
    private static readonly ulong[] s_seeds = [0, 1, 2, 42, 0x9E3779B97F4A7C15, ulong.MaxValue];

    public static TheoryData<int> PartitionCounts => new() { 1, 2, 3, 100, 257, 1000, 65536 };

    [Theory]
    [MemberData(nameof(PartitionCounts))]
    public void A_shuffled_order_is_a_bijection_of_the_partitions_for_6_seeds(int partitions)
    {
        foreach (var seed in s_seeds)
        {
            var order = PartitionOrder.Shuffled(seed);
            var seen = new bool[partitions];
            for (var position = 0; position < partitions; position++)
            {
                var partition = order.PartitionAt(position, partitions);
                Assert.InRange(partition, 0, partitions - 1);
                Assert.False(seen[partition], $"seed {seed}: partition {partition} appears twice");
                seen[partition] = true;
            }
        }
    }

    [Theory]
    [MemberData(nameof(PartitionCounts))]
    public void The_sequential_order_is_the_identity(int partitions)
    {
        Assert.Equal(PartitionOrder.Sequential, default);
        Assert.False(PartitionOrder.Sequential.IsShuffled);
        for (var position = 0; position < partitions; position++)
        {
            Assert.Equal(position, PartitionOrder.Sequential.PartitionAt(position, partitions));
        }
    }

    /// <summary>P = 100: the orders of 1,000 consecutive seeds are all different, and none is the identity.</summary>
    [Fact]
    public void Different_seeds_give_different_orders_over_1000_seeds()
    {
        const int Partitions = 100;
        var orders = new HashSet<string>(StringComparer.Ordinal);
        var identity = string.Join(",", Enumerable.Range(0, Partitions));
        for (var seed = 0UL; seed < 1000; seed++)
        {
            var order = PartitionOrder.Shuffled(seed);
            var text = string.Join(",", Enumerable.Range(0, Partitions).Select(p => order.PartitionAt(p, Partitions)));
            Assert.NotEqual(identity, text);
            Assert.True(orders.Add(text), $"seed {seed} repeats an earlier seed's order");
            Assert.NotEqual(PartitionOrder.Shuffled(seed), PartitionOrder.Shuffled(seed + 1));
        }
    }

    /// <summary>P = 10 over 10,000 consecutive seeds (1,000 expected per partition): χ² with 9 df below 27.877 (α = 0.001).</summary>
    [Fact]
    public void The_first_partition_is_uniform_over_10000_seeds_with_10_partitions()
    {
        var counts = new long[10];
        for (var seed = 0UL; seed < 10_000; seed++)
        {
            counts[PartitionOrder.Shuffled(seed).PartitionAt(0, 10)]++;
        }

        AssertChiSquareBelow(counts, 27.877);
    }

    /// <summary>
    /// P = 257 (not a power of four: the Feistel domain is 1,024, so positions cycle-walk back into range) over 25,700
    /// consecutive seeds (100 expected per partition): χ² with 256 df below 331.656 (α = 0.001).
    /// </summary>
    [Fact]
    public void The_first_partition_is_uniform_over_25700_seeds_with_257_partitions()
    {
        var counts = new long[257];
        for (var seed = 0UL; seed < 25_700; seed++)
        {
            counts[PartitionOrder.Shuffled(seed).PartitionAt(0, 257)]++;
        }

        AssertChiSquareBelow(counts, 331.656);
    }

    /// <summary>
    /// P = 100 over 10,000 consecutive seeds (100 expected per position): the position at which partition 0 is read,
    /// and the position of partition 99, are each uniform: χ² with 99 df below 148.230 (α = 0.001).
    /// </summary>
    [Fact]
    public void The_position_of_a_given_partition_is_uniform_over_10000_seeds_with_100_partitions()
    {
        foreach (var target in new[] { 0, 99 })
        {
            var counts = new long[100];
            for (var seed = 0UL; seed < 10_000; seed++)
            {
                var order = PartitionOrder.Shuffled(seed);
                var position = Enumerable.Range(0, 100).Single(p => order.PartitionAt(p, 100) == target);
                counts[position]++;
            }

            AssertChiSquareBelow(counts, 148.230);
        }
    }

    /// <summary>
    /// P = 100 (the pipelines' default) over 99,000 consecutive seeds (10 expected per ordered pair): the first two
    /// partitions read form a uniform ordered pair of distinct partitions, so the second position does not follow from
    /// the first: χ² with 9,899 df below 10,339.5 (α = 0.001, Wilson–Hilferty). This sample size catches gross
    /// dependence only: a 4-round Feistel network is not a uniformly random permutation, and far larger runs find that
    /// the second partition is the first XOR 1 about 1.16 times as often as uniform at P = 100 (990,000 seeds) and 1.4–2
    /// times at P = 10, 16, 64, 256 and 1,000; at P = 10 the same χ² test fails with 18,000 seeds.
    /// </summary>
    [Fact]
    public void The_first_two_partitions_are_a_uniform_ordered_pair_over_99000_seeds_with_100_partitions()
    {
        const int Partitions = 100;
        var counts = new long[Partitions * Partitions];
        for (var seed = 0UL; seed < 99_000; seed++)
        {
            var order = PartitionOrder.Shuffled(seed);
            counts[(order.PartitionAt(0, Partitions) * Partitions) + order.PartitionAt(1, Partitions)]++;
        }

        for (var p = 0; p < Partitions; p++)
        {
            Assert.Equal(0, counts[(p * Partitions) + p]);
        }

        AssertChiSquareBelow(counts.Where((_, cell) => cell / Partitions != cell % Partitions).ToArray(), 10_339.5);
    }

    [Theory]
    [InlineData(-1, 100)]
    [InlineData(100, 100)]
    [InlineData(101, 100)]
    [InlineData(int.MaxValue, 100)]
    [InlineData(int.MinValue, 100)]
    [InlineData(1, 1)]
    [InlineData(0, 0)]
    public void A_position_outside_the_partitions_throws(int position, int partitions)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => PartitionOrder.Shuffled(7).PartitionAt(position, partitions));
        Assert.Throws<ArgumentOutOfRangeException>(() => PartitionOrder.Sequential.PartitionAt(position, partitions));
    }

    /// <summary>
    /// Real flights (origin ORD, 30 days, layout by_origin, P = 100): widening a cursor over a shuffled order in 7 steps
    /// reads exactly the rows of the partitions the order names (the sum of their <see cref="Layout.FindRange"/> lengths),
    /// which are not the sequential order's; at z = 1 every estimate equals a sequential cursor's exact one.
    /// </summary>
    [Fact]
    public void A_cursor_over_a_shuffled_order_reads_the_partitions_it_names_and_is_exact_at_z_1()
    {
        var layout = flights.Table.GetLayout("by_origin");
        var end = TimeValue.FromDateTime(new DateTime(2001, 4, 20, 9, 0, 0));
        var predicate = layout.Bind(new RowPredicate
        {
            Keys = new Dictionary<string, object?> { ["origin"] = "ORD" },
            From = end - (30 * TimeValue.MicrosPerDay),
            To = end,
        });
        AggregateSpec[] aggregates =
        [
            AggregateSpec.Count(), AggregateSpec.Sum("delay"), AggregateSpec.Avg("delay"), AggregateSpec.Std("delay"),
            AggregateSpec.Median("delay"), AggregateSpec.Percentile("distance", 0.9), AggregateSpec.Min("delay"), AggregateSpec.Max("delay"),
        ];
        var partitions = layout.PartitionCount;
        var order = PartitionOrder.Shuffled(0x5EED);
        using var shuffled = layout.OpenCursor(predicate, aggregates, order: order);
        Assert.Equal(order, shuffled.Order);
        var differsFromSequential = false;
        foreach (var k in new[] { 1, 3, 10, 11, 40, 99, 100 })
        {
            shuffled.WidenToPartitions(k);
            long expected = 0, sequential = 0;
            for (var position = 0; position < k; position++)
            {
                expected += layout.FindRange(predicate, order.PartitionAt(position, partitions)).Length;
                sequential += layout.FindRange(predicate, position).Length;
            }

            Assert.Equal(k, shuffled.PartitionsRead);
            Assert.Equal(expected, shuffled.RowsScanned);
            differsFromSequential |= expected != sequential;
        }

        Assert.True(differsFromSequential, "the shuffled and sequential prefixes held the same rows at every step: the test cannot tell them apart");
        Assert.True(shuffled.IsExact);

        using var reference = layout.OpenCursor(predicate, aggregates);
        reference.WidenTo(1);
        Assert.Equal(reference.RowsScanned, shuffled.RowsScanned);
        for (var a = 0; a < aggregates.Length; a++)
        {
            var (x, y) = (shuffled.Estimate(a), reference.Estimate(a));
            Assert.Equal(ErrorKind.Exact, x.Error);
            Assert.Equal(0, x.StdError);
            if (aggregates[a].Op is AggregateOp.Sum or AggregateOp.Avg or AggregateOp.Std)
            {
                // Sums over the same rows in another order agree up to rounding.
                Assert.True(Math.Abs(x.Value - y.Value) <= 1e-12 * Math.Max(1, Math.Abs(y.Value)), $"{aggregates[a].Op}: {x.Value:R} vs {y.Value:R}");
            }
            else
            {
                Assert.Equal(y.Value, x.Value);
            }
        }
    }

    /// <summary>Pearson's χ² of <paramref name="counts"/> against equal expected counts must stay below <paramref name="critical"/>.</summary>
    private static void AssertChiSquareBelow(long[] counts, double critical)
    {
        var expected = (double)counts.Sum() / counts.Length;
        var chiSquare = counts.Sum(c => (c - expected) * (c - expected) / expected);
        Assert.True(chiSquare < critical, $"χ² = {chiSquare:F1} over {counts.Length} cells (critical {critical}); counts [{string.Join(", ", counts)}]");
    }
}
