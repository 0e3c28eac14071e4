using System.Globalization;
using System.Text;
using Biathlon.Experiments.Harness;
using Biathlon.Experiments.Results;

namespace Biathlon.Experiments.Reporting;

/// <summary>The report's calibration section: the pass-rule table, the cells that fail or test nothing, and the τ sweep.</summary>
public static partial class MarkdownReport
{
    private static void CalibrationSection(StringBuilder md, RunResults results)
    {
        if (results.Calibration.Count == 0 && results.CalibrationSweep.Count == 0)
        {
            return;
        }

        md.AppendLine("## Calibration where the bound binds").AppendLine();
        md.AppendLine("Each pipeline is loaded once per table seed (the same rows partitioned with another seed: another " +
                      "deployment) and serves its test requests with the exact shortcut off, so no decision made from " +
                      "measured costs (the exact shortcut, a query started or finished exactly because that looked cheaper) " +
                      "stands in for the bound. n counts the requests that stopped because the bound was met (BoundMet); k " +
                      "those of them within δ of the exact prediction. Requests that stopped otherwise (AllExact: every " +
                      "query read completely, so the prediction is the exact one; MaxRounds; other) are counted apart and " +
                      "are not in n.");
        md.AppendLine();
        md.Append("**Pass rule:** k/n ≥ τ − m with m = ").Append(CalibrationRule.Z99.ToString("0.0000", CultureInfo.InvariantCulture))
            .AppendLine(" · √(τ(1 − τ)/n), the one-sided binomial margin at α = 0.01 (normal approximation): a bound " +
                        "whose coverage is exactly τ fails a given cell with probability about 0.01 (a conservative one, less). " +
                        "A cell with n = 0 tested nothing and says so. Every request's randomness derives from its digest, so a " +
                        "rerun reproduces every cell.");
        var classifiers = results.Calibration.Concat(results.CalibrationSweep)
            .Where(c => c.Task != "regression").Select(c => c.Pipeline).Distinct(StringComparer.Ordinal).ToList();
        if (classifiers.Count > 0)
        {
            md.AppendLine();
            md.Append(string.Join(", ", classifiers.Select(Escape)))
                .Append(classifiers.Count == 1 ? " is a classifier" : " are classifiers")
                .AppendLine(": δ = 0 always, so it runs at δ = 0 only and \"within δ\" means the same label as the exact prediction.");
        }

        md.AppendLine();
        if (results.Calibration.Count > 0)
        {
            CalibrationTable(md, results.Calibration);
            CalibrationFindings(md, results.Calibration);
        }

        if (results.CalibrationSweep.Count > 0)
        {
            var seeds = results.CalibrationSweep.Select(c => c.TableSeed).Distinct().Order().Select(Int);
            md.AppendLine("### τ sweep").AppendLine();
            md.Append("The δ cells again at several τ, on table seed ").Append(string.Join(", ", seeds))
                .AppendLine(" only (to bound the run time); calibration.png plots the share against τ.");
            md.AppendLine();
            CalibrationTable(md, results.CalibrationSweep);
        }
    }

    private static void CalibrationTable(StringBuilder md, IReadOnlyList<CalibrationCell> cells)
    {
        Row(md, "Pipeline", "Table seed", "δ", "δ value", "τ", "Requests", "n (BoundMet)", "k (within δ)", "k/n", "Margin m",
            "τ − m", "Pass", "AllExact", "MaxRounds", "Other", "All within δ", "Mean confidence", "Mean rounds",
            "Mean fraction", "Mean ms", "Exact mean ms");
        Rule(md, "lrlrrrrrrrrlrrrrrrrrr");
        foreach (var c in cells)
        {
            var pass = c.BoundMet == 0 ? "n/a (n = 0)" : c.Pass ? "yes" : "**NO**";
            Row(md, c.Pipeline, Int(c.TableSeed), c.DeltaLabel, Significant(c.Delta), Num(c.Tau), Int(c.Requests), Int(c.BoundMet),
                Int(c.Within), Share(c.Share), Num4(c.Margin), Num4(c.Tau - c.Margin), pass, Int(c.AllExact), Int(c.MaxRounds),
                Int(c.OtherStops), Percent(c.ShareAll), Percent(c.MeanConfidence), Num2(c.MeanRounds), Percent(c.MeanFraction),
                Ms(c.MeanMs), Ms(c.ExactMeanMs));
        }

        md.AppendLine();
    }

    private static void CalibrationFindings(StringBuilder md, IReadOnlyList<CalibrationCell> cells)
    {
        var failed = cells.Where(c => !c.Pass).ToList();
        var empty = cells.Where(c => c.BoundMet == 0).ToList();
        var costly = cells.Where(c => c.DependedOnCosts > 0).ToList();
        if (failed.Count == 0)
        {
            md.Append("Every cell with BoundMet requests passes (")
                .Append(Int(cells.Count - empty.Count)).Append(" of ").Append(Int(cells.Count)).AppendLine(" cells).");
        }

        foreach (var c in failed)
        {
            md.Append("- **").Append(Escape(c.Pipeline)).Append(", table seed ").Append(Int(c.TableSeed)).Append(", δ = ")
                .Append(Escape(c.DeltaLabel)).Append(", τ = ").Append(Num(c.Tau)).Append(": ").Append(Int(c.Within)).Append(" of ")
                .Append(Int(c.BoundMet)).Append(" BoundMet requests within δ (").Append(Share(c.Share)).Append("), below τ − m = ")
                .Append(Num4(c.Tau - c.Margin)).AppendLine(".**");
        }

        foreach (var c in empty)
        {
            md.Append("- ").Append(Escape(c.Pipeline)).Append(", table seed ").Append(Int(c.TableSeed)).Append(", δ = ")
                .Append(Escape(c.DeltaLabel)).Append(": no request stopped with the bound met (AllExact ").Append(Int(c.AllExact))
                .Append(", MaxRounds ").Append(Int(c.MaxRounds)).AppendLine("), so the cell tested nothing.");
        }

        foreach (var c in costly)
        {
            md.Append("- ").Append(Escape(c.Pipeline)).Append(", table seed ").Append(Int(c.TableSeed)).Append(", δ = ")
                .Append(Escape(c.DeltaLabel)).Append(": ").Append(Int(c.DependedOnCosts))
                .AppendLine(" requests still depended on measured costs although the exact shortcut was off.");
        }

        md.AppendLine();
    }

    // A share of requests with enough digits to compare it with τ − m.
    private static string Share(double share) =>
        double.IsFinite(share) ? (share * 100).ToString("0.0#", CultureInfo.InvariantCulture) + "%" : Missing;

    // δ spans decades across pipelines (16 minutes, 0.00015 CHF): four significant digits.
    private static string Significant(double value) => double.IsFinite(value) ? value.ToString("G4", CultureInfo.InvariantCulture) : Missing;

    private static string Num4(double value) => double.IsFinite(value) ? value.ToString("0.0000", CultureInfo.InvariantCulture) : Missing;
}
