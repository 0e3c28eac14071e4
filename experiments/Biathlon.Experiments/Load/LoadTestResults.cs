using System.Globalization;

namespace Biathlon.Experiments.Load;

/// <summary>A load test's results: what loadtest.json holds and the report is made from.</summary>
public sealed record LoadTestResults
{
    public required DateTime StartedUtc { get; init; }

    public required DateTime FinishedUtc { get; init; }

    /// <summary>The machine in words (CPU model, cores, memory, OS, .NET).</summary>
    public required string Machine { get; init; }

    public required string CpuModel { get; init; }

    public required int Cores { get; init; }

    public required string DotNet { get; init; }

    public required string Command { get; init; }

    /// <summary>Which server was loaded and how it was started.</summary>
    public required string Server { get; init; }

    /// <summary>Whether the server was already running (<c>--server</c>) rather than started by the load test.</summary>
    public bool ExternalServer { get; init; }

    /// <summary>/proc/loadavg before the first cell and after the last.</summary>
    public required string LoadBefore { get; init; }

    public required string LoadAfter { get; init; }

    public required double WarmupSeconds { get; init; }

    public required double WindowSeconds { get; init; }

    /// <summary>Per pipeline: how many requests the clients cycle through, and which.</summary>
    public required IReadOnlyList<RequestSet> RequestSets { get; init; }

    public required IReadOnlyList<LoadCell> Cells { get; init; }

    public required IReadOnlyList<S1Check> S1Checks { get; init; }

    public required IReadOnlyList<LoadGoal> Goals { get; init; }
}

/// <summary>The requests the clients send for a pipeline.</summary>
public sealed record RequestSet(string Pipeline, int Requests, string Description);

/// <summary>A goal compared against the figures: reported, never asserted.</summary>
/// <param name="Goal">What is wanted, in words.</param>
/// <param name="Scope">Which cells it is judged on.</param>
/// <param name="Measured">The figure(s).</param>
/// <param name="Verdict">"met", "not met" or "not measured".</param>
public sealed record LoadGoal(string Goal, string Scope, string Measured, string Verdict);

/// <summary>The goals of the scoring server under load, judged on a load test's cells.</summary>
public static class LoadGoals
{
    public const double OverheadP50Ms = 0.2;
    public const double AuditDeltaP50Ms = 0.1;
    public const double FlightP99Ms = 10;
    public const int FlightP99Clients = 8;
    public const double Scaling = 1.8;

    public const string Met = "met";
    public const string NotMet = "not met";
    public const string NotMeasured = "not measured";

    /// <summary>Fills in each cell's scaling against one client and its audit delta.</summary>
    public static IReadOnlyList<LoadCell> Derive(IReadOnlyList<LoadCell> cells)
    {
        ArgumentNullException.ThrowIfNull(cells);
        return cells.Select(c =>
        {
            var one = cells.FirstOrDefault(o => o.Pipeline == c.Pipeline && o.Mode == c.Mode && o.Audit == c.Audit && o.Clients == 1);
            var off = c.Audit == "on" ? cells.FirstOrDefault(o => o.Pipeline == c.Pipeline && o.Mode == c.Mode && o.Audit == "off" && o.Clients == c.Clients) : null;
            return c with
            {
                ScalingVsOneClient = one is { Throughput: > 0 } ? c.Throughput / one.Throughput : null,
                AuditDeltaP50Ms = off is not null ? c.P50Ms - off.P50Ms : null,
            };
        }).ToArray();
    }

    /// <summary>The four goals against <paramref name="cells"/> (after <see cref="Derive"/>).</summary>
    public static IReadOnlyList<LoadGoal> Evaluate(IReadOnlyList<LoadCell> cells)
    {
        ArgumentNullException.ThrowIfNull(cells);
        return [Overhead(cells), Audit(cells), FlightTail(cells), ThroughputScaling(cells)];
    }

    private static LoadGoal Overhead(IReadOnlyList<LoadCell> cells)
    {
        const string Goal = "server overhead (round trip − engine time) ≤ 0.2 ms at p50";
        var single = cells.Where(c => c.Clients == 1 && c.Requests > 0).ToArray();
        if (single.Length == 0)
        {
            return new LoadGoal(Goal, "1 client", "no 1-client cell", NotMeasured);
        }

        var measured = string.Join("; ", single.Select(c => $"{Label(c)} {Ms(c.OverheadP50Ms)}"));
        var all = cells.Where(c => c.Requests > 0 && double.IsFinite(c.OverheadP50Ms)).ToArray();
        var within = all.Count(c => c.OverheadP50Ms <= OverheadP50Ms);
        measured += $" (all cells: {within} of {all.Length} within; more clients than cores queue in the server, and that wait counts as overhead)";
        return new LoadGoal(Goal, "each pipeline, mode and audit setting at 1 client", measured, single.All(c => c.OverheadP50Ms <= OverheadP50Ms) ? Met : NotMet);
    }

    private static LoadGoal Audit(IReadOnlyList<LoadCell> cells)
    {
        const string Goal = "auditing adds ≤ 0.1 ms at p50";
        var on = cells.Where(c => c.Audit == "on" && c.Clients == 1 && c.AuditDeltaP50Ms is not null).ToArray();
        if (on.Length == 0)
        {
            return new LoadGoal(Goal, "1 client, audit on − off", "no pair of audit off and on cells at 1 client", NotMeasured);
        }

        var measured = string.Join("; ", on.Select(c => $"{c.Pipeline} {c.Mode} {Signed(c.AuditDeltaP50Ms!.Value)}"));
        if (on.Any(c => !c.Audited))
        {
            return new LoadGoal(Goal, "1 client, audit on − off", measured + " — but the server did not audit (no X-Audit-Sequence on the answers), so this is run-to-run noise", NotMeasured);
        }

        return new LoadGoal(Goal, "1 client, audit on − off", measured, on.All(c => c.AuditDeltaP50Ms <= AuditDeltaP50Ms) ? Met : NotMet);
    }

    private static LoadGoal FlightTail(IReadOnlyList<LoadCell> cells)
    {
        const string Goal = "approximate flight-delay p99 ≤ 10 ms at 8 clients";
        var at8 = cells.Where(c => c.Pipeline == "flight-delay" && c.Mode == "approximate" && c.Clients == FlightP99Clients && c.Requests > 0).ToArray();
        return at8.Length == 0
            ? new LoadGoal(Goal, "flight-delay, approximate, 8 clients", "no such cell", NotMeasured)
            : new LoadGoal(Goal, "flight-delay, approximate, 8 clients, each audit setting",
                string.Join("; ", at8.Select(c => $"audit {c.Audit}: p99 {Ms(c.P99Ms)}")), at8.All(c => c.P99Ms <= FlightP99Ms) ? Met : NotMet);
    }

    private static LoadGoal ThroughputScaling(IReadOnlyList<LoadCell> cells)
    {
        const string Goal = "throughput with ≥ 2 clients ≥ 1.8× one client's";
        var groups = cells.Where(c => c.ScalingVsOneClient is not null && c.Clients >= 2)
            .GroupBy(c => (c.Pipeline, c.Mode, c.Audit)).ToArray();
        if (groups.Length == 0)
        {
            return new LoadGoal(Goal, "best ratio over client counts ≥ 2", "no 1-client and ≥ 2-client cells", NotMeasured);
        }

        var best = groups.Select(g => (g.Key, Best: g.MaxBy(c => c.ScalingVsOneClient)!, Two: g.FirstOrDefault(c => c.Clients == 2))).ToArray();
        var measured = string.Join("; ", best.Select(b =>
            $"{b.Key.Pipeline} {b.Key.Mode} audit {b.Key.Audit}: best {Ratio(b.Best.ScalingVsOneClient!.Value)} at {b.Best.Clients}" +
            (b.Two is { } two && b.Best.Clients != 2 ? $", {Ratio(two.ScalingVsOneClient!.Value)} at 2" : "")));
        return new LoadGoal(Goal, "each pipeline, mode and audit setting: the best ratio over client counts ≥ 2", measured,
            best.All(b => b.Best.ScalingVsOneClient >= Scaling) ? Met : NotMet);
    }

    private static string Label(LoadCell c) => $"{c.Pipeline} {c.Mode} audit {c.Audit}";

    internal static string Ms(double ms) => double.IsFinite(ms) ? ms.ToString("0.000", CultureInfo.InvariantCulture) + " ms" : "–";

    internal static string Signed(double ms) => (ms >= 0 ? "+" : "") + ms.ToString("0.000", CultureInfo.InvariantCulture) + " ms";

    internal static string Ratio(double r) => r.ToString("0.00", CultureInfo.InvariantCulture) + "×";
}
