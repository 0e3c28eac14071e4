using System.Diagnostics;
using System.Globalization;
using Biathlon.Planner.Propagation;

namespace Biathlon.Benchmarks;

// `dotnet run -c Release --project benchmarks/Biathlon.Benchmarks -- --round-distribution [--pipeline NAME] [--requests N]`:
// the per-request distribution of one specialised round's model cost over real held-out requests (SpecializedRounds;
// default flight-delay, 300 requests), next to ONNX Runtime on the same designs. Prints the histogram of uncertain
// groups per round, which queries were uncertain, and p50/p90/p99/max per method and of the per-request ratio.
// Each request's cost is the median of 5 timings of a loop long enough (>= 0.2 ms) for the stopwatch; the methods take
// turns on each request (order alternating), so a ratio compares like with like on a loaded machine.
internal static class RoundDistribution
{
    private const int Timings = 5;
    private static readonly long s_minTicks = Stopwatch.Frequency / 5000; // 0.2 ms

    public static int Run(string[] args)
    {
        var pipeline = "flight-delay";
        var requests = SpecializedRoundBenchmarks.Rounds;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--round-distribution":
                    break;
                case "--pipeline" when i + 1 < args.Length:
                    pipeline = args[++i];
                    break;
                case "--requests" when i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var n) && n > 0:
                    requests = n;
                    i++;
                    break;
                default:
                    Console.Error.WriteLine($"--round-distribution: unknown or incomplete option '{args[i]}' (options: --pipeline NAME, --requests N)");
                    return 2;
            }
        }

        Console.WriteLine($"{pipeline}: building the first propagated round of {requests} held-out requests (exact shortcut off) ...");
        using var rounds = SpecializedRounds.Build(pipeline, requests);
        var cases = rounds.Cases;
        if (cases.Length == 0)
        {
            Console.WriteLine("No request ran a propagated round: nothing to time.");
            return 1;
        }

        var onnx = new double[cases.Length];
        var specialise = new double[cases.Length];
        var evaluate = new double[cases.Length];
        var outputs = new float[rounds.MaxRows];
        var reference = new float[rounds.MaxRows];
        var evaluator = rounds.Native.CreateDesignEvaluator();
        var prepared = rounds.Native.CreateDesignEvaluator();
        double maxDifference = 0;
        for (var i = 0; i < cases.Length; i++)
        {
            var c = cases[i];
            var rows = c.Rows;
            void Onnx() => rounds.Onnx.Evaluate(c.Design, rows, outputs);
            void SpecialiseAndEvaluate()
            {
                evaluator.Specialize(rounds.GroupOfInput, c.Constant, c.Values);
                evaluator.Evaluate(c.Design, new SaltelliLayout(SpecializedRounds.BaseSamples, c.BlockGroups), outputs);
            }

            void Evaluate() => prepared.Evaluate(c.Design, new SaltelliLayout(SpecializedRounds.BaseSamples, c.BlockGroups), outputs);

            rounds.Onnx.Evaluate(c.Design, rows, reference);
            prepared.Specialize(rounds.GroupOfInput, c.Constant, c.Values);
            Evaluate();
            for (var r = 0; r < rows; r++)
            {
                maxDifference = Math.Max(maxDifference, Math.Abs(outputs[r] - reference[r]));
            }

            if (i % 2 == 0)
            {
                onnx[i] = Microseconds(Onnx);
                specialise[i] = Microseconds(SpecialiseAndEvaluate);
                evaluate[i] = Microseconds(Evaluate);
            }
            else
            {
                evaluate[i] = Microseconds(Evaluate);
                specialise[i] = Microseconds(SpecialiseAndEvaluate);
                onnx[i] = Microseconds(Onnx);
            }
        }

        Print(rounds, onnx, specialise, evaluate, maxDifference);
        return 0;
    }

    // Median over Timings runs of the time per call, each run repeating the call until it lasts at least 0.2 ms.
    private static double Microseconds(Action op)
    {
        op();
        var repeats = 1;
        while (true)
        {
            var start = Stopwatch.GetTimestamp();
            for (var k = 0; k < repeats; k++)
            {
                op();
            }

            if (Stopwatch.GetTimestamp() - start >= s_minTicks)
            {
                break;
            }

            repeats *= 2;
        }

        Span<double> runs = stackalloc double[Timings];
        for (var t = 0; t < Timings; t++)
        {
            var start = Stopwatch.GetTimestamp();
            for (var k = 0; k < repeats; k++)
            {
                op();
            }

            runs[t] = Stopwatch.GetElapsedTime(start).TotalMicroseconds / repeats;
        }

        runs.Sort();
        return runs[Timings / 2];
    }

    private static void Print(SpecializedRounds rounds, double[] onnx, double[] specialise, double[] evaluate, double maxDifference)
    {
        var cases = rounds.Cases;
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine();
        Console.WriteLine($"{rounds.Pipeline}: {rounds.Requests} held-out requests, {cases.Length} with a propagated round " +
            $"({rounds.NoRound} without: every round exact or indeterminate); N = {SpecializedRounds.BaseSamples}");
        Console.WriteLine("rounds run per request (shortcut off): " + string.Join(", ",
            rounds.RoundsRun.GroupBy(r => r).OrderBy(g => g.Key).Select(g => $"{g.Key}: {g.Count()}")));
        Console.WriteLine("the round reproduced (first propagated): " + string.Join(", ",
            cases.GroupBy(c => c.Round).OrderBy(g => g.Key).Select(g => $"round {g.Key}: {g.Count()}")));
        Console.WriteLine();
        Console.WriteLine("uncertain groups per round (AB blocks):");
        Console.WriteLine($"  {"groups",6} {"requests",8} {"rows",6} {"ORT p50 µs",11} {"native S+E p50 µs",18} {"native E p50 µs",16}  histogram");
        foreach (var group in Enumerable.Range(0, cases.Length).GroupBy(i => cases[i].BlockGroups.Length).OrderBy(g => g.Key))
        {
            var members = group.ToArray();
            var onnxP50 = Percentile(members.Select(i => onnx[i]).ToArray(), 0.5);
            var specialiseP50 = Percentile(members.Select(i => specialise[i]).ToArray(), 0.5);
            var evaluateP50 = Percentile(members.Select(i => evaluate[i]).ToArray(), 0.5);
            var bar = new string('#', (int)Math.Ceiling(60.0 * members.Length / cases.Length));
            Console.WriteLine(string.Create(inv,
                $"  {group.Key,6} {members.Length,8} {cases[members[0]].Rows,6} {onnxP50,11:F1} {specialiseP50,18:F1} {evaluateP50,16:F1}  {bar}"));
        }

        Console.WriteLine();
        Console.WriteLine("queries uncertain in the round: " + string.Join(", ",
            cases.SelectMany(c => c.UncertainQueries).GroupBy(q => q).OrderByDescending(g => g.Count()).Select(g => $"{g.Key} {g.Count()}")));
        Console.WriteLine();
        Console.WriteLine("model cost of one round per request (µs; each request the median of 5 timings):");
        Console.WriteLine($"  {"method",-46} {"mean",9} {"p50",9} {"p90",9} {"p99",9} {"max",9}");
        Row("ONNX Runtime, every row", onnx);
        Row("native evaluator, Specialize + Evaluate", specialise);
        Row("native evaluator, Evaluate (specialised)", evaluate);
        Row("ratio ORT / (Specialize + Evaluate), per request", onnx.Select((o, i) => o / specialise[i]).ToArray());
        Row("ratio ORT / Evaluate, per request", onnx.Select((o, i) => o / evaluate[i]).ToArray());
        Console.WriteLine(string.Create(inv, $"largest |native − ORT| output difference over all designs: {maxDifference:G3}"));

        void Row(string name, double[] values) => Console.WriteLine(string.Create(inv,
            $"  {name,-46} {values.Average(),9:F2} {Percentile(values, 0.5),9:F2} {Percentile(values, 0.9),9:F2} {Percentile(values, 0.99),9:F2} {values.Max(),9:F2}"));
    }

    // Nearest-rank percentile.
    private static double Percentile(double[] values, double p)
    {
        var sorted = values.Order().ToArray();
        var rank = (int)Math.Ceiling(p * sorted.Length) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Length - 1)];
    }
}
