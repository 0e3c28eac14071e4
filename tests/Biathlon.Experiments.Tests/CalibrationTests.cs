using System.Diagnostics;
using System.Globalization;
using System.Text;
using Biathlon.Experiments.Harness;
using Biathlon.Experiments.Pipelines;
using Biathlon.Experiments.Results;
using Xunit.Abstractions;

namespace Biathlon.Experiments.Tests;

/// <summary>
/// Calibration where the bound binds, through the engine, on real data: flight-delay and fx-next-price (regression) and
/// sensor-anomaly (binary), each prepared as the harness prepares it (2,000 training and 400 validation requests, a model
/// with δ = validation MAE) on a copy of its spec in a temporary folder, then its 300 held-out test requests served with
/// the exact shortcut off (<c>PredictOptions.ExactShortcut = false</c>) on three deployments (table seeds 0, 1, 2).
/// </summary>
/// <remarks>
/// <para>Trials: regression pipelines at δ ∈ {MAE, MAE/4, MAE/10}, sensor-anomaly at δ = 0 only (a classifier: "within
/// δ" means the same label); τ = 0.95; 300 requests per (pipeline, seed, δ) cell: 9 + 9 + 3 = 21 cells, 6,300
/// approximate and 2,700 exact predictions.</para>
/// <para>Pass rule per cell (<see cref="CalibrationRule"/>): of the n requests that stopped with the bound met, k within δ
/// of exact; pass iff k/n ≥ τ − m with the one-sided binomial margin m = 2.3263·√(τ(1 − τ)/n) (normal approximation,
/// α = 0.01 per cell). At τ = 0.95 and n = 300, m = 0.0293: k ≥ 277 of 300. Requests that stop otherwise (AllExact,
/// MaxRounds) are not in n; every cell must have n ≥ 1 and no request may depend on measured costs. An engine whose
/// coverage were exactly τ would fail some one of the 21 cells with probability about 1 − 0.99²¹ ≈ 19%; every draw is
/// seeded from the request digests, so the outcome is the same on every run (no flakiness, but no reroll either).</para>
/// <para>Power: the same machinery must reject an engine that claims more confidence than it delivers. Flight-delay at
/// δ = MAE/10 served at τ = 0.5 and judged as if it had claimed τ = 0.95 must fail the rule; an engine whose confidence
/// were overstated that much would fail the main test the same way.</para>
/// <para>Measured on the 2-core development machine: about 2 minutes for the whole class alone, about 3 minutes while
/// the assembly's other tests run beside it; most of it is preparing flight-delay (training features, a model, the
/// tables of three seeds) and serving its nine cells (about 1 minute).</para>
/// </remarks>
public sealed class CalibrationTests(CalibrationTests.PreparedPipelines pipelines, ITestOutputHelper output)
    : IClassFixture<CalibrationTests.PreparedPipelines>
{
    private const double Tau = 0.95;
    private const int RequestsPerCell = 300;
    private static readonly int[] s_tableSeeds = [0, 1, 2];

    [Theory]
    [InlineData("flight-delay", 9)]
    [InlineData("fx-next-price", 9)]
    [InlineData("sensor-anomaly", 3)]
    public async Task Bound_met_predictions_are_within_delta_of_exact_at_least_tau_minus_the_binomial_margin(string pipeline, int cells)
    {
        var clock = Stopwatch.StartNew();
        var (folder, test) = await pipelines.PrepareAsync(pipeline);
        var prepared = clock.Elapsed;
        Assert.True(test.Count >= RequestsPerCell, $"{pipeline} drew {test.Count} test requests; the calibration needs {RequestsPerCell}");

        var settings = new CalibrationSettings { TableSeeds = s_tableSeeds, Tau = Tau, SweepTaus = [] };
        var outcome = await CalibrationExperiment.RunAsync(folder, RealData.Directory, test.Take(RequestsPerCell).ToArray(), settings, progress: null);
        output.WriteLine(Table(outcome.Cells));
        output.WriteLine($"{pipeline}: prepared in {prepared.TotalSeconds:F1} s, calibrated in {(clock.Elapsed - prepared).TotalSeconds:F1} s");

        Assert.Equal(cells, outcome.Cells.Count);
        Assert.All(outcome.Cells, c =>
        {
            var name = $"{c.Pipeline} seed {c.TableSeed} δ = {c.DeltaLabel}";
            Assert.Equal(RequestsPerCell, c.Requests);
            Assert.True(c.BoundMet > 0, $"{name}: no request stopped with the bound met, so the cell tested nothing");
            Assert.True(c.DependedOnCosts == 0, $"{name}: {c.DependedOnCosts} answers depended on measured costs with the exact shortcut off");
            Assert.True(c.Pass, $"{name}: {c.Within}/{c.BoundMet} BoundMet requests within δ = {c.Share:P2} < τ − m = {c.Tau - c.Margin:0.0000}");
        });
    }

    [Fact]
    public async Task The_rule_rejects_an_engine_that_delivers_less_confidence_than_it_claims()
    {
        var (folder, test) = await pipelines.PrepareAsync("flight-delay");
        var settings = new CalibrationSettings { TableSeeds = [0], DeltaDivisors = [10], Tau = 0.5, SweepTaus = [] };
        var outcome = await CalibrationExperiment.RunAsync(folder, RealData.Directory, test.Take(RequestsPerCell).ToArray(), settings, progress: null);
        var cell = Assert.Single(outcome.Cells);
        output.WriteLine(Table(outcome.Cells));

        // Served at τ = 0.5, the cell is honest; claimed as τ = 0.95, it must not pass.
        Assert.True(cell.Pass, $"at τ = 0.5: {cell.Within}/{cell.BoundMet}");
        var claimed = CalibrationRule.Evaluate(cell.BoundMet, cell.Within, Tau);
        output.WriteLine($"judged at τ = {Tau}: share {claimed.Share:P2}, threshold {Tau - claimed.Margin:0.0000}");
        Assert.False(claimed.Pass,
            $"flight-delay δ = MAE/10 served at τ = 0.5 reaches {claimed.Share:P2} within δ, above τ − m = {Tau - claimed.Margin:0.0000} " +
            "for τ = 0.95: the bound does not bind there, so the calibration test could not tell a confidence overstated this much");
    }

    [Fact]
    public void The_margin_is_the_one_sided_binomial_margin_at_alpha_one_percent()
    {
        Assert.Equal(2.3263, CalibrationRule.Z99, 4); // z₀.₉₉ = 2.32634787…
        Assert.Equal(CalibrationRule.Z99 * Math.Sqrt(0.95 * 0.05 / 300), CalibrationRule.Margin(0.95, 300), 12);
        Assert.Equal(0.0293, CalibrationRule.Margin(0.95, 300), 4);
        Assert.True(double.IsNaN(CalibrationRule.Margin(0.95, 0)));

        // τ − m = 0.92073 at n = 300: 277 within δ passes, 276 fails.
        Assert.True(CalibrationRule.Evaluate(300, 277, 0.95).Pass);
        Assert.False(CalibrationRule.Evaluate(300, 276, 0.95).Pass);
        Assert.True(CalibrationRule.Evaluate(300, 300, 0.99).Pass);
        Assert.False(CalibrationRule.Evaluate(1000, 900, 0.95).Pass);

        var empty = CalibrationRule.Evaluate(0, 0, 0.95);
        Assert.True(empty.Pass);
        Assert.False(empty.HasEvidence);
        Assert.Throws<ArgumentOutOfRangeException>(() => CalibrationRule.Evaluate(10, 11, 0.95));
        Assert.Throws<ArgumentOutOfRangeException>(() => CalibrationRule.Evaluate(10, 5, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => CalibrationRule.Evaluate(10, 5, 1.5));
    }

    private static string Table(IReadOnlyList<CalibrationCell> cells)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"{"pipeline",-15} {"seed",4} {"δ",-10} {"δ value",10} {"τ",5} {"n",4} {"k",4} {"k/n",8} {"m",7} {"τ−m",7} {"pass",5} {"AllExact",8} {"MaxRounds",9} {"conf",6} {"rounds",7} {"z",6}");
        foreach (var c in cells)
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"{c.Pipeline,-15} {c.TableSeed,4} {c.DeltaLabel,-10} {c.Delta,10:0.######} {c.Tau,5:0.##} {c.BoundMet,4} {c.Within,4} {c.Share,8:P2} {c.Margin,7:0.0000} {c.Tau - c.Margin,7:0.0000} {(c.Pass ? "yes" : "NO"),5} {c.AllExact,8} {c.MaxRounds,9} {c.MeanConfidence,6:0.000} {c.MeanRounds,7:F2} {c.MeanFraction,6:F3}");
        }

        return text.ToString();
    }

    /// <summary>
    /// The three pipelines prepared once per test class, each on a copy of its spec in a temporary folder (so the
    /// repository's pipeline folders, used by other test projects running at the same time, are never written): tables,
    /// requests drawn as the harness draws them (seed 0, full sizes), the model trained and exported.
    /// </summary>
    public sealed class PreparedPipelines : IDisposable
    {
        private readonly TempDirectory _dir = new();
        private readonly Dictionary<string, Task<(string Folder, IReadOnlyList<HarnessRequest> Test)>> _prepared = [];
        private readonly object _gate = new();

        /// <summary>The prepared folder and test requests of <paramref name="name"/> (prepared on first use).</summary>
        public Task<(string Folder, IReadOnlyList<HarnessRequest> Test)> PrepareAsync(string name)
        {
            lock (_gate)
            {
                if (!_prepared.TryGetValue(name, out var task))
                {
                    task = Prepare(name);
                    _prepared[name] = task;
                }

                return task;
            }
        }

        private async Task<(string, IReadOnlyList<HarnessRequest>)> Prepare(string name)
        {
            var (folder, requests) = await PreparedCopy.PrepareAsync(_dir.Path, name, RecipeSizes.Full);
            return (folder, requests.Test);
        }

        public void Dispose() => _dir.Dispose();
    }
}
