using Biathlon.Sampling.Aggregates;
using Biathlon.Sampling.Estimators;
using Biathlon.Sampling.Layouts;
using Biathlon.Sampling.Queries;

namespace Biathlon.Sampling.Tests;

/// <summary>Exact results on a hand-built table, including nulls, NaN, empty groups and empty windows.</summary>
public sealed class SmallTableTests
{
    private readonly PartitionedTable _table = SmallTables.Partitioned(SmallTables.KeyTimeXY());

    private FeatureEstimate[] ExactFor(string key, long? from, long? to, params AggregateSpec[] aggregates)
    {
        var layout = _table.GetLayout("by_key");
        var cursor = layout.OpenCursor(layout.Bind(new RowPredicate { Keys = new Dictionary<string, object?> { ["key"] = key }, From = from, To = to }), aggregates);
        cursor.WidenTo(1);
        var result = new FeatureEstimate[aggregates.Length];
        cursor.EstimateAll(result);
        return result;
    }

    [Fact]
    public void Nulls_and_NaN_are_skipped_and_counted()
    {
        var e = ExactFor("a", null, null, AggregateSpec.Count(), AggregateSpec.Count("x"), AggregateSpec.Avg("x"), AggregateSpec.Count("y"));
        Assert.Equal(10, e[0].Value);
        Assert.Equal(8, e[1].Value);
        Assert.Equal(2, e[1].NullsSkipped);
        // x = 1.5 i for i in {0,1,2,5,6,7,8,9}
        Assert.Equal(1.5 * (0 + 1 + 2 + 5 + 6 + 7 + 8 + 9) / 8, e[2].Value, 12);
        Assert.Equal(2, e[2].NullsSkipped);
        Assert.Equal(9, e[3].Value);
        Assert.Equal(1, e[3].NullsSkipped);
    }

    [Fact]
    public void Every_operator_matches_the_naive_reference_on_an_integer_column_with_a_null()
    {
        var specs = NaiveAggregates.AllOperators("y");
        var e = ExactFor("a", 2, 9, specs);
        var values = Enumerable.Range(2, 7).Where(i => i != 7).Select(i => (double)(100 - i * i)).ToList();
        for (var i = 0; i < specs.Length; i++)
        {
            NaiveAggregates.AssertClose(NaiveAggregates.Compute(specs[i], values, 7), e[i].Value, specs[i].ToString());
            Assert.True(e[i].IsExact);
        }
    }

    [Fact]
    public void An_all_null_group_has_zero_counts_and_undefined_averages()
    {
        var e = ExactFor("c", null, null, AggregateSpec.Count(), AggregateSpec.Count("x"), AggregateSpec.Sum("x"),
            AggregateSpec.Avg("x"), AggregateSpec.Median("x"), AggregateSpec.Max("y"), AggregateSpec.CountDistinct("y"));
        Assert.Equal(3, e[0].Value);
        Assert.Equal(0, e[1].Value);
        Assert.Equal(3, e[1].NullsSkipped);
        Assert.Equal(0, e[2].Value);
        Assert.True(double.IsNaN(e[3].Value));
        Assert.True(double.IsNaN(e[4].Value));
        Assert.True(double.IsNaN(e[5].Value));
        Assert.Equal(0, e[6].Value);
    }

    [Fact]
    public void An_empty_window_and_an_unknown_key_select_nothing()
    {
        var empty = ExactFor("a", 5, 5, AggregateSpec.Count(), AggregateSpec.Avg("x"));
        Assert.Equal(0, empty[0].Value);
        Assert.True(double.IsNaN(empty[1].Value));

        var layout = _table.GetLayout("by_key");
        var unknown = layout.Bind(new RowPredicate { Keys = new Dictionary<string, object?> { ["key"] = "zzz" } });
        Assert.False(unknown.GroupExists);
        var cursor = layout.OpenCursor(unknown, [AggregateSpec.Count()]);
        cursor.WidenTo(1);
        Assert.Equal(0, cursor.Estimate(0).Value);
    }

    [Fact]
    public void Variance_of_one_value_is_undefined_not_zero()
    {
        var e = ExactFor("b", 2, 3, AggregateSpec.Var("x"), AggregateSpec.Std("x"), AggregateSpec.Avg("x"));
        Assert.True(double.IsNaN(e[0].Value));
        Assert.True(double.IsNaN(e[1].Value));
        Assert.Equal(-2, e[2].Value);
    }

    [Fact]
    public void Filters_on_strings_integers_and_doubles_select_the_same_rows_as_a_scan()
    {
        var layout = _table.GetLayout("all");
        var predicate = layout.Bind(new RowPredicate
        {
            Filters =
            [
                new ColumnFilter("key", FilterOp.NotEqual, "c"),
                new ColumnFilter("y", FilterOp.Greater, 0.5),
                new ColumnFilter("x", FilterOp.LessOrEqual, 9),
            ],
        });
        var cursor = layout.OpenCursor(predicate, [AggregateSpec.Count(), AggregateSpec.Sum("y")]);
        cursor.WidenTo(1);

        // Group a: x ≤ 9 and not null → i ∈ {0,1,2,5,6}; y = 100 − i² > 0.5 for all. Group b: x = −i ≤ 9, y = i % 2 > 0.5 → i ∈ {1, 3}.
        Assert.Equal(5 + 2, cursor.Estimate(0).Value);
        Assert.Equal(100 + 99 + 96 + 75 + 64 + 1 + 1, cursor.Estimate(1).Value);
    }
}
