using System.Globalization;

namespace Biathlon.Experiments.Harness;

/// <summary>The harness's options, parsed strictly: an unknown option or a bad value is a <see cref="CliException"/> (exit 2).</summary>
public sealed record CliArguments
{
    public string Pipeline { get; init; } = "all";

    public int? Requests { get; init; }

    public int Seed { get; init; }

    public bool Quick { get; init; }

    public bool Retrain { get; init; }

    public bool DuckDb { get; init; } = true;

    public string? Run { get; init; }

    public string ResultsRoot { get; init; } = Path.Combine(RepositoryPaths.Root, "results");

    public string PipelinesRoot { get; init; } = Path.Combine(RepositoryPaths.Root, "pipelines");

    /// <summary>Whether <c>run</c> (and <c>all</c>) include the calibration (<c>--no-calibration</c> turns it off).</summary>
    public bool Calibration { get; init; } = true;

    /// <summary>Calibration: τ of the pass-rule cells (<c>--tau</c>); null for each pipeline's own τ.</summary>
    public double? Tau { get; init; }

    /// <summary>Calibration: table seeds (<c>--table-seeds 0,1,2</c>); null for the default.</summary>
    public IReadOnlyList<int>? TableSeeds { get; init; }

    /// <summary>Calibration: false to skip the τ sweep (<c>--no-sweep</c>).</summary>
    public bool Sweep { get; init; } = true;

    /// <summary>The calibration settings these options select.</summary>
    public CalibrationSettings CalibrationSettings()
    {
        var settings = new CalibrationSettings { Tau = Tau };
        if (TableSeeds is { } seeds)
        {
            settings = settings with { TableSeeds = seeds };
        }

        return Sweep ? settings : settings with { SweepTaus = [] };
    }

    public static CliArguments Parse(string[] args)
    {
        var parsed = new CliArguments();
        for (var i = 0; i < args.Length; i++)
        {
            string Value(string option) =>
                i + 1 < args.Length ? args[++i] : throw new CliException($"option {option} needs a value", 2);

            int Number(string option) =>
                int.TryParse(Value(option), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= 0
                    ? n
                    : throw new CliException($"option {option} needs a non-negative integer (got '{args[i]}')", 2);

            double Probability(string option) =>
                double.TryParse(Value(option), NumberStyles.Float, CultureInfo.InvariantCulture, out var p) && p > 0 && p < 1
                    ? p
                    : throw new CliException($"option {option} needs a number in (0, 1) (got '{args[i]}')", 2);

            int[] Seeds(string option)
            {
                var text = Value(option);
                var parts = text.Split(',', StringSplitOptions.TrimEntries);
                var seeds = new int[parts.Length];
                for (var k = 0; k < parts.Length; k++)
                {
                    if (!int.TryParse(parts[k], NumberStyles.Integer, CultureInfo.InvariantCulture, out seeds[k]) || seeds[k] < 0)
                    {
                        throw new CliException($"option {option} needs comma-separated non-negative integers (got '{text}')", 2);
                    }
                }

                return seeds;
            }

            parsed = args[i] switch
            {
                "--pipeline" or "-p" => parsed with { Pipeline = Value("--pipeline") },
                "--requests" or "-n" => parsed with { Requests = Number("--requests") is > 0 and var n ? n : throw new CliException("option --requests needs a positive integer", 2) },
                "--seed" => parsed with { Seed = Number("--seed") },
                "--quick" => parsed with { Quick = true },
                "--retrain" => parsed with { Retrain = true },
                "--no-duckdb" => parsed with { DuckDb = false },
                "--run" => parsed with { Run = Value("--run") },
                "--results" => parsed with { ResultsRoot = Path.GetFullPath(Value("--results")) },
                "--pipelines" => parsed with { PipelinesRoot = Path.GetFullPath(Value("--pipelines")) },
                "--no-calibration" => parsed with { Calibration = false },
                "--tau" => parsed with { Tau = Probability("--tau") },
                "--table-seeds" => parsed with { TableSeeds = Seeds("--table-seeds") },
                "--no-sweep" => parsed with { Sweep = false },
                var other => throw new CliException($"unknown option '{other}' (see 'help')", 2),
            };
        }

        return parsed;
    }
}
