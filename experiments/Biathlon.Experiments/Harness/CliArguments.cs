using Biathlon.Experiments.Specs;

namespace Biathlon.Experiments.Harness;

/// <summary>
/// The harness verbs' options, as the command line (<see cref="Cli.HarnessCommandLine"/>) parsed and checked them.
/// </summary>
public sealed record CliArguments
{
    /// <summary>A built-in pipeline's name, or "all" (<c>--pipeline</c>).</summary>
    public string Pipeline { get; init; } = "all";

    /// <summary>Test requests per pipeline (<c>--test-requests</c>); null for all drawn.</summary>
    public int? TestRequests { get; init; }

    /// <summary>Seed of request sampling and training (<c>--seed</c>).</summary>
    public int Seed { get; init; }

    /// <summary>Small splits for a fast pass (<c>--quick</c>).</summary>
    public bool Quick { get; init; }

    /// <summary>Train again even when the model exists (<c>--retrain</c>).</summary>
    public bool Retrain { get; init; }

    /// <summary>Whether the DuckDB baseline runs (<c>--no-duckdb</c> turns it off).</summary>
    public bool DuckDb { get; init; } = true;

    /// <summary>
    /// Whether the ClickHouse baselines run (<c>--clickhouse</c>): Debian's clickhouse-server started on loopback once per
    /// run, exact SQL per query and the original system's partition-range approximation.
    /// </summary>
    public bool ClickHouse { get; init; }

    /// <summary>The run folder's name (<c>--run</c>).</summary>
    public string? Run { get; init; }

    /// <summary>The results folder (<c>--results</c>).</summary>
    public string ResultsRoot { get; init; } = Path.Combine(RepositoryPaths.Root, "results");

    /// <summary>The folder of built-in pipeline folders (<c>--pipelines</c>).</summary>
    public string PipelinesRoot { get; init; } = Path.Combine(RepositoryPaths.Root, "pipelines");

    /// <summary>
    /// Whether <c>run</c> (and <c>all</c>) include the calibration: <c>--calibration</c> / <c>--no-calibration</c>; null for
    /// the default (on for the built-in pipelines that have one, off for a <c>--spec</c> pipeline).
    /// </summary>
    public bool? Calibration { get; init; }

    /// <summary>Calibration: τ of the pass-rule cells (<c>--tau</c>); null for each pipeline's own τ.</summary>
    public double? Tau { get; init; }

    /// <summary>Calibration: table seeds (<c>--table-seeds 0,1,2</c>); null for the default.</summary>
    public IReadOnlyList<int>? TableSeeds { get; init; }

    /// <summary>Calibration: false to skip the τ sweep (<c>--no-sweep</c>).</summary>
    public bool Sweep { get; init; } = true;

    /// <summary>A user's pipeline folder (<c>--spec DIR</c>); null for the built-in pipelines.</summary>
    public string? Spec { get; init; }

    /// <summary>The requests file of a <c>--spec</c> pipeline (<c>--requests FILE</c>, CSV or Parquet).</summary>
    public string? RequestsFile { get; init; }

    /// <summary>The label column of the requests file (<c>--label</c>).</summary>
    public string? Label { get; init; }

    /// <summary>The model <c>train</c> fits (<c>--model</c>); null for the task's default.</summary>
    public ModelKind? Model { get; init; }

    /// <summary>How the requests file is split by time (<c>--train-split</c>).</summary>
    public TrainSplit TrainSplit { get; init; } = TrainSplit.Default;

    /// <summary>At most this many requests from the requests file (<c>--max-requests</c>); null for all.</summary>
    public int? MaxRequests { get; init; }

    /// <summary>Where <c>train</c> writes the model (<c>--out</c>); null for the spec's model file.</summary>
    public string? Out { get; init; }

    /// <summary><c>prepare</c>: write the drawn requests to this CSV file (<c>--export-requests</c>), in the form <c>--requests FILE</c> reads.</summary>
    public string? ExportRequests { get; init; }

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

    /// <summary>The <c>--spec</c> pipeline these options name; a <see cref="CliException"/> (exit 2) naming the missing option otherwise.</summary>
    public SpecRecipe SpecRecipe()
    {
        var spec = Spec ?? throw new CliException("option --spec DIR is required here", 2);
        var requests = RequestsFile ?? throw new CliException("option --requests FILE is required with --spec", 2);
        var label = Label ?? throw new CliException("option --label COLUMN is required with --spec", 2);
        return Specs.SpecRecipe.Create(spec, requests, label, TrainSplit, Model, MaxRequests, RepositoryPaths.Data);
    }
}
