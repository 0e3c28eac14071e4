using Biathlon.Experiments.Specs;

namespace Biathlon.Experiments.Tests;

/// <summary>The harness's numerics on MathNet (percentiles, z quantile) and the split of a requests file by shares.</summary>
public sealed class HarnessNumericsTests
{
    [Fact]
    public void Percentile_is_the_nearest_rank_of_the_sorted_values()
    {
        double[] values = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6];
        Assert.Equal(1, Metrics.Percentile(values, 0));
        Assert.Equal(1, Metrics.Percentile(values, 0.1));
        Assert.Equal(2, Metrics.Percentile(values, 0.11)); // rank ⌈1.1⌉ = 2
        Assert.Equal(5, Metrics.Percentile(values, 0.5));
        Assert.Equal(10, Metrics.Percentile(values, 0.99));
        Assert.Equal(10, Metrics.Percentile(values, 1));
    }

    [Fact]
    public void The_calibration_z_is_the_normal_99_percent_quantile()
    {
        Assert.Equal(2.326347874, Harness.CalibrationRule.Z99, 9);
    }

    [Theory]
    [InlineData("0.6,0.2", 300, 180, 60, 60)]
    [InlineData("0.5, 0.25", 10, 5, 2, 3)]
    public void A_split_gives_training_validation_and_test_counts_in_time_order(string text, int count, int train, int validation, int test)
    {
        var split = TrainSplit.TryParse(text, out var error);
        Assert.Null(error);
        Assert.Equal((train, validation, test), split!.Counts(count));
    }

    [Fact]
    public void Shares_written_as_fractions_of_a_count_give_the_count_back()
    {
        // What `prepare --export-requests` prints for 2000 / 400 / 300 requests.
        var split = new TrainSplit(2000 / 2700.0, 400 / 2700.0);
        Assert.Equal((2000, 400, 300), split.Counts(2700));
    }

    [Theory]
    [InlineData("0.9,0.2")]
    [InlineData("0.6")]
    [InlineData("0,0.2")]
    [InlineData("a,b")]
    public void A_bad_split_is_refused_naming_the_option(string text)
    {
        Assert.Null(TrainSplit.TryParse(text, out var error));
        Assert.Contains("--train-split", error);
        Assert.Contains(text, error);
    }
}
