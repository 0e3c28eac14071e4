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
                var other => throw new CliException($"unknown option '{other}' (see 'help')", 2),
            };
        }

        return parsed;
    }
}
