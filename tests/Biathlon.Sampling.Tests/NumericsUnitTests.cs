using Biathlon.Sampling.Numerics;

namespace Biathlon.Sampling.Tests;

public sealed class NumericsUnitTests
{
    [Theory]
    [InlineData(0.975, 1.959963984540054)]
    [InlineData(0.5, 0.0)]
    [InlineData(0.8413447460685429, 1.0)]
    [InlineData(0.001, -3.090232306167813)]
    [InlineData(1e-10, -6.361340902404056)]
    public void Inverse_normal_cdf_matches_reference_values(double p, double expected) =>
        Assert.Equal(expected, NormalDistribution.InverseCdf(p), 12);

    [Fact]
    public void Cdf_and_inverse_cdf_are_inverse_over_the_whole_range()
    {
        // Lower half only: above the median p = Φ(x) is rounded to 1 − ε, which no inverse can undo; symmetry covers it.
        for (var k = -1400; k <= 0; k++)
        {
            var x = k / 40.0;
            var p = NormalDistribution.Cdf(x);
            Assert.Equal(x, NormalDistribution.InverseCdf(p), 9);
            Assert.Equal(1 - p, NormalDistribution.Cdf(-x), 15);
        }
    }

    [Theory]
    [InlineData(-1.0, 0.15865525393145707)]
    [InlineData(-3.0, 0.0013498980316301)]
    [InlineData(-6.0, 9.865876450376946e-10)]
    [InlineData(-8.0, 6.22096057427178e-16)]
    [InlineData(-20.0, 2.7536241186062337e-89)]
    public void Cdf_has_full_relative_precision_in_the_lower_tail(double x, double expected) =>
        Assert.True(Math.Abs(NormalDistribution.Cdf(x) - expected) <= 1e-13 * expected, $"Φ({x}) = {NormalDistribution.Cdf(x):R}, expected {expected:R}");

    [Fact]
    public void Inverse_cdf_outside_0_to_1_names_its_argument()
    {
        Assert.Equal("p", Assert.Throws<ArgumentOutOfRangeException>(() => NormalDistribution.InverseCdf(1.1)).ParamName);
        Assert.Equal(double.NegativeInfinity, NormalDistribution.InverseCdf(0));
    }

    [Fact]
    public void Xoshiro_is_deterministic_per_seed_and_uniform()
    {
        var a = new Xoshiro256(42);
        var b = new Xoshiro256(42);
        var counts = new int[10];
        for (var i = 0; i < 100_000; i++)
        {
            var x = a.NextDouble();
            Assert.Equal(x, b.NextDouble());
            Assert.InRange(x, 0, 1 - double.Epsilon);
            counts[(int)(x * 10)]++;
        }

        // 10,000 expected per bin, sd ≈ 95: 6 sd catches a broken generator, not chance.
        Assert.All(counts, c => Assert.InRange(c, 10_000 - 600, 10_000 + 600));
    }
}
