using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Biathlon.Experiments.Harness;
using Biathlon.Experiments.Specs;

namespace Biathlon.Experiments.Cli;

/// <summary>
/// The typed options of the harness verbs, one set per verb (an option belongs to one command), and their binding
/// into <see cref="CliArguments"/>. Values are checked while parsing: a bad value is a parse error naming the option.
/// </summary>
internal sealed class HarnessOptions
{
    private readonly List<Option> _added = [];

    public Option<string> Pipeline { get; } = new("--pipeline", "-p")
    {
        Description = "flight-delay, flight-late, pm10-forecast, fx-next-price, sensor-anomaly or all",
        DefaultValueFactory = _ => "all",
        HelpName = "NAME",
    };

    public Option<int?> TestRequests { get; } = new("--test-requests", "-n")
    {
        Description = "Test requests per pipeline (default: all drawn: 300, or 60 with --quick; a --spec pipeline: its whole test split)",
        CustomParser = r => Integer(r, "--test-requests", 1),
        HelpName = "N",
    };

    public Option<bool> Quick { get; } = new("--quick") { Description = "Small splits (400 / 100 / 60 requests) to exercise every step fast" };

    public Option<int> Seed { get; } = new("--seed")
    {
        Description = "Seed of request sampling and training (default 0)",
        CustomParser = r => Integer(r, "--seed", 0) ?? 0,
        HelpName = "N",
    };

    public Option<bool> Retrain { get; } = new("--retrain") { Description = "Train again even when model.onnx exists" };

    public Option<bool> NoDuckDb { get; } = new("--no-duckdb") { Description = "Skip the DuckDB baseline" };

    public Option<bool> ClickHouse { get; } = new("--clickhouse")
    {
        Description = "run: add the ClickHouse baselines (clickhouse-exact, clickhouse-approx) on Debian's clickhouse-server, started on loopback; skipped with a message when it cannot start",
    };

    public Option<string?> Run { get; } = new("--run")
    {
        Description = "Run folder name under the results folder (report: an existing run; default latest)",
        HelpName = "ID",
    };

    public Option<string?> Results { get; } = new("--results") { Description = "Results folder (default results/)", HelpName = "DIR" };

    public Option<string?> Pipelines { get; } = new("--pipelines") { Description = "Folder of pipeline folders (default pipelines/)", HelpName = "DIR" };

    public Option<bool> Calibration { get; } = new("--calibration") { Description = "run/all: include the calibration (the default for the built-in pipelines that have one; off for --spec)" };

    public Option<bool> NoCalibration { get; } = new("--no-calibration") { Description = "run/all: skip the calibration" };

    public Option<double?> Tau { get; } = new("--tau")
    {
        Description = "Calibration: τ of the pass-rule cells (default each pipeline's τ)",
        CustomParser = Probability,
        HelpName = "T",
    };

    public Option<int[]?> TableSeeds { get; } = new("--table-seeds")
    {
        Description = "Calibration: comma-separated table seeds (default 0,1,2)",
        CustomParser = Seeds,
        HelpName = "LIST",
    };

    public Option<bool> NoSweep { get; } = new("--no-sweep") { Description = "Calibration: skip the τ sweep (τ = 0.5, 0.8, 0.9, 0.95, 0.99 on the first table seed)" };

    public Option<string?> Spec { get; } = new("--spec") { Description = "A pipeline folder of your own (pipeline.json + data) instead of a built-in pipeline", HelpName = "DIR" };

    public Option<string?> Requests { get; } = new("--requests") { Description = "With --spec: the requests file (CSV or Parquet; columns named like the spec's request fields, plus the label)", HelpName = "FILE" };

    public Option<string?> Label { get; } = new("--label") { Description = "With --spec: the label column of the requests file (numeric; binary: 0/1 or true/false)", HelpName = "COLUMN" };

    public Option<ModelKind?> Model { get; } = new("--model")
    {
        Description = "With --spec: lightgbm (regression default), fastforest or linear; binary: fasttree (default) or mlp",
        CustomParser = ParseModel,
        HelpName = "KIND",
    };

    public Option<TrainSplit> TrainSplitOption { get; } = new("--train-split")
    {
        Description = "With --spec: shares of the requests, in time order, for training and validation; the rest is the test split (default 0.6,0.2)",
        CustomParser = ParseSplit,
        DefaultValueFactory = _ => TrainSplit.Default,
        HelpName = "TRAIN,VALIDATION",
    };

    public Option<int?> MaxRequests { get; } = new("--max-requests")
    {
        Description = "With --spec: use at most N requests of the file (a seeded random subset, kept in time order)",
        CustomParser = r => Integer(r, "--max-requests", 1),
        HelpName = "N",
    };

    public Option<string?> Out { get; } = new("--out") { Description = "train: write the model here instead of the spec's model file", HelpName = "FILE" };

    public Option<string?> ExportRequests { get; } = new("--export-requests")
    {
        Description = "prepare: write the pipeline's drawn requests (training, validation, test, in time order) to this CSV, the form `train --spec` reads",
        HelpName = "FILE",
    };

    /// <summary>The options of the built-in pipeline verbs (fetch, prepare, profile, run, calibrate, all).</summary>
    public Option[] BuiltIn => [Pipeline, TestRequests, Quick, Seed, Retrain, NoDuckDb, ClickHouse, Run, Results, Pipelines, Calibration, NoCalibration, Tau, TableSeeds, NoSweep];

    /// <summary>The options naming a user's pipeline and requests file.</summary>
    public Option[] SpecOptions => [Spec, Requests, Label, Model, TrainSplitOption, MaxRequests];

    /// <summary>Adds <paramref name="options"/> to <paramref name="command"/> and remembers them for binding.</summary>
    public void AddTo(Command command, params Option[] options)
    {
        foreach (var option in options)
        {
            command.Options.Add(option);
            _added.Add(option);
        }
    }

    /// <summary>The options a parse result gives, as <see cref="CliArguments"/>.</summary>
    public CliArguments Bind(ParseResult result)
    {
        var args = new CliArguments();
        T? Get<T>(Option<T> option) => _added.Contains(option) ? result.GetValue(option) : default;
        if (Get(Calibration) && Get(NoCalibration))
        {
            throw new CliException("options --calibration and --no-calibration exclude each other", 2);
        }

        return args with
        {
            Pipeline = _added.Contains(Pipeline) ? result.GetValue(Pipeline) ?? "all" : "all",
            TestRequests = Get(TestRequests),
            Quick = Get(Quick),
            Seed = Get(Seed),
            Retrain = Get(Retrain),
            DuckDb = !Get(NoDuckDb),
            ClickHouse = Get(ClickHouse),
            Run = Get(Run),
            ResultsRoot = Get(Results) is { } results ? Path.GetFullPath(results) : args.ResultsRoot,
            PipelinesRoot = Get(Pipelines) is { } pipelines ? Path.GetFullPath(pipelines) : args.PipelinesRoot,
            Calibration = Get(Calibration) ? true : Get(NoCalibration) ? false : null,
            Tau = Get(Tau),
            TableSeeds = Get(TableSeeds) is { Length: > 0 } seeds ? seeds : null, // an option not given reads as an empty array
            Sweep = !Get(NoSweep),
            Spec = Get(Spec) is { } spec ? Path.GetFullPath(spec) : null,
            RequestsFile = Get(Requests) is { } requests ? Path.GetFullPath(requests) : null,
            Label = Get(Label),
            Model = Get(Model),
            TrainSplit = Get(TrainSplitOption) ?? TrainSplit.Default,
            MaxRequests = Get(MaxRequests),
            Out = Get(Out),
            ExportRequests = Get(ExportRequests) is { } export ? Path.GetFullPath(export) : null,
        };
    }

    private static int? Integer(ArgumentResult r, string option, int minimum)
    {
        var text = r.Tokens.Count > 0 ? r.Tokens[0].Value : "";
        if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= minimum)
        {
            return n;
        }

        r.AddError($"option {option} needs a {(minimum > 0 ? "positive" : "non-negative")} integer (got '{text}')");
        return null;
    }

    private static double? Probability(ArgumentResult r)
    {
        var text = r.Tokens.Count > 0 ? r.Tokens[0].Value : "";
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var p) && p > 0 && p < 1)
        {
            return p;
        }

        r.AddError($"option --tau needs a number in (0, 1) (got '{text}')");
        return null;
    }

    private static int[]? Seeds(ArgumentResult r)
    {
        var text = r.Tokens.Count > 0 ? r.Tokens[0].Value : "";
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var seeds = new int[parts.Length];
        for (var k = 0; k < parts.Length; k++)
        {
            if (!int.TryParse(parts[k], NumberStyles.Integer, CultureInfo.InvariantCulture, out seeds[k]) || seeds[k] < 0)
            {
                r.AddError($"option --table-seeds needs comma-separated non-negative integers (got '{text}')");
                return null;
            }
        }

        return seeds;
    }

    private static ModelKind? ParseModel(ArgumentResult r)
    {
        var text = r.Tokens.Count > 0 ? r.Tokens[0].Value : "";
        if (ModelTrainer.Parse(text) is { } kind)
        {
            return kind;
        }

        r.AddError($"option --model needs lightgbm, fasttree, fastforest, linear or mlp (got '{text}')");
        return null;
    }

    private static TrainSplit ParseSplit(ArgumentResult r)
    {
        var text = r.Tokens.Count > 0 ? r.Tokens[0].Value : "";
        if (TrainSplit.TryParse(text, out var error) is { } split)
        {
            return split;
        }

        r.AddError(error!);
        return TrainSplit.Default;
    }
}
