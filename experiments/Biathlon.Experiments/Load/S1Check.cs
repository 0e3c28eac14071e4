namespace Biathlon.Experiments.Load;

/// <summary>
/// S1 stability of one fixed request (the probe) between the fewest and the most clients of one pipeline, mode and
/// audit setting: every answer to it in both cells compared, value and per-query <c>s1</c>, with the first answer at the
/// fewest clients. The engine is meant to be deterministic per request, so they should be identical.
/// </summary>
public sealed record S1Check
{
    public required string Pipeline { get; init; }

    public required string Mode { get; init; }

    public required string Audit { get; init; }

    /// <summary>The probe's index in the request set.</summary>
    public required int Request { get; init; }

    public required int LowClients { get; init; }

    public required int HighClients { get; init; }

    /// <summary>Answers to the probe in the cell with the fewest clients.</summary>
    public required int LowAnswers { get; init; }

    /// <summary>Answers to the probe in the cell with the most clients.</summary>
    public required int HighAnswers { get; init; }

    /// <summary>Every answer at the most clients equal to the reference, bit for bit (NaN equal to NaN).</summary>
    public required bool Identical { get; init; }

    /// <summary>Every answer at the fewest clients equal to the reference: the engine's own drift over time, without concurrency.</summary>
    public required bool LowSelfIdentical { get; init; }

    /// <summary>Largest |value − reference value| over the answers at the most clients.</summary>
    public required double MaxAbsValueDiff { get; init; }

    /// <summary>Largest |s1 − reference s1| over queries and the answers at the most clients.</summary>
    public required double MaxAbsS1Diff { get; init; }

    /// <summary>Largest |value − reference value| over the answers at the fewest clients.</summary>
    public required double LowMaxAbsValueDiff { get; init; }

    /// <summary>Largest |s1 − reference s1| over the answers at the fewest clients.</summary>
    public required double LowMaxAbsS1Diff { get; init; }

    /// <summary>Share of the probe's answers (both cells) that the engine says depended on measured costs.</summary>
    public required double DependsOnMeasuredCostsShare { get; init; }

    /// <summary>The stop reasons seen, with counts ("BoundMet: 12, AllExact: 3").</summary>
    public required string StopReasons { get; init; }

    /// <summary>How many different final plans (fractions, exact reasons, rounds) the answers came from.</summary>
    public required int DistinctPlans { get; init; }

    /// <summary>Whether answers with the same final plan are identical: when false, the engine is not deterministic given its plan.</summary>
    public required bool SamePlanSameAnswer { get; init; }

    /// <summary>The plans seen, with counts, the most frequent first.</summary>
    public required IReadOnlyList<string> Plans { get; init; }

    /// <summary>Compares the answers of two cells (with no answer at the fewest clients, nothing is identical and every difference is NaN).</summary>
    public static S1Check Compare(string pipeline, string mode, string audit, int request, int lowClients, IReadOnlyList<ProbeAnswer> low, int highClients, IReadOnlyList<ProbeAnswer> high)
    {
        ArgumentNullException.ThrowIfNull(low);
        ArgumentNullException.ThrowIfNull(high);
        var all = low.Concat(high).ToArray();
        var byPlan = all.GroupBy(a => a.Plan, StringComparer.Ordinal).OrderByDescending(g => g.Count()).ToArray();
        var samePlanSameAnswer = byPlan.All(g => Against(g.First(), g.ToArray()).Same);
        var reference = low.Count > 0 ? low[0] : null;
        var (lowSame, lowValue, lowS1) = reference is null ? (false, double.NaN, double.NaN) : Against(reference, low);
        var (highSame, highValue, highS1) = reference is null ? (false, double.NaN, double.NaN) : Against(reference, high);
        return new S1Check
        {
            Pipeline = pipeline,
            Mode = mode,
            Audit = audit,
            Request = request,
            LowClients = lowClients,
            HighClients = highClients,
            LowAnswers = low.Count,
            HighAnswers = high.Count,
            Identical = highSame && high.Count > 0 && low.Count > 0,
            LowSelfIdentical = lowSame,
            MaxAbsValueDiff = highValue,
            MaxAbsS1Diff = highS1,
            LowMaxAbsValueDiff = lowValue,
            LowMaxAbsS1Diff = lowS1,
            DependsOnMeasuredCostsShare = all.Length > 0 ? all.Count(a => a.DependsOnMeasuredCosts) / (double)all.Length : double.NaN,
            StopReasons = string.Join(", ", all.GroupBy(a => a.StopReason).OrderByDescending(g => g.Count()).Select(g => $"{g.Key}: {g.Count()}")),
            DistinctPlans = byPlan.Length,
            SamePlanSameAnswer = samePlanSameAnswer,
            Plans = byPlan.Select(g => $"{g.Count()}× {g.Key}").ToArray(),
        };
    }

    private static (bool Same, double ValueDiff, double S1Diff) Against(ProbeAnswer reference, IReadOnlyList<ProbeAnswer> answers)
    {
        bool same = true;
        double value = 0, s1 = 0;
        foreach (var answer in answers)
        {
            same &= Same(answer.Value, reference.Value);
            value = Math.Max(value, Diff(answer.Value, reference.Value));
            if (answer.Queries.Count != reference.Queries.Count)
            {
                same = false;
                s1 = double.PositiveInfinity;
                continue;
            }

            for (var q = 0; q < answer.Queries.Count; q++)
            {
                same &= answer.Queries[q].Name == reference.Queries[q].Name && Same(answer.Queries[q].S1, reference.Queries[q].S1);
                s1 = Math.Max(s1, Diff(answer.Queries[q].S1, reference.Queries[q].S1));
            }
        }

        return (same, value, s1);
    }

    private static bool Same(double a, double b) => a.Equals(b);

    private static double Diff(double a, double b) => a.Equals(b) ? 0 : double.IsNaN(a) || double.IsNaN(b) ? double.PositiveInfinity : Math.Abs(a - b);
}
