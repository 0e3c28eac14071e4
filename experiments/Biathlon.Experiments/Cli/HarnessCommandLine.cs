using System.CommandLine;
using Biathlon.Experiments.Harness;
using Biathlon.Experiments.Load;

namespace Biathlon.Experiments.Cli;

/// <summary>
/// The harness's command line on System.CommandLine: one command per verb with typed options and generated help
/// (<c>help VERB</c> or <c>VERB --help</c>). A bad or unknown option, or an unknown verb, is one error line and exit 2.
/// </summary>
internal static class HarnessCommandLine
{
    private const string Overview = """
        usage: biathlon-experiments <command> [options]

        The Biathlon experiment harness: real pipelines on real data, exact vs approximate serving, reports.
        Bring your own pipeline with `train --spec DIR --requests FILE --label COLUMN`, then `run` with the same
        options and `report`. `help COMMAND` (or `COMMAND --help`) lists a command's options.

        """;

    /// <summary>Parses <paramref name="args"/> and runs the verb; the process's exit code.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var root = Build();
        if (args.Length == 0)
        {
            await PrintHelpAsync(root, [], Console.Error);
            return 2;
        }

        if (!args[0].StartsWith('-') && root.Subcommands.All(c => c.Name != args[0]))
        {
            Console.Error.WriteLine($"error: unknown command '{args[0]}'.");
            await PrintHelpAsync(root, [], Console.Error);
            return 2;
        }

        var result = root.Parse(args);
        if (result.Errors.Count > 0)
        {
            var verb = result.CommandResult.Command is RootCommand ? "" : " " + result.CommandResult.Command.Name;
            foreach (var token in result.UnmatchedTokens)
            {
                Console.Error.WriteLine(token.StartsWith('-')
                    ? $"error: unknown option '{token}' (see 'help{verb}')"
                    : $"error: unexpected argument '{token}' (see 'help{verb}')");
            }

            foreach (var error in result.Errors.Where(e => !result.UnmatchedTokens.Any(t => e.Message.Contains($"'{t}'", StringComparison.Ordinal))))
            {
                Console.Error.WriteLine($"error: {error.Message}");
            }

            return 2;
        }

        // Exceptions reach Program's handlers, which print one line (CliException: its exit code).
        return await result.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
    }

    private static async Task PrintHelpAsync(RootCommand root, string[] verb, TextWriter writer)
    {
        await writer.WriteLineAsync(Overview);
        await root.Parse([.. verb, "--help"]).InvokeAsync(new InvocationConfiguration { Output = writer });
    }

    private static RootCommand Build()
    {
        var root = new RootCommand("The Biathlon experiment harness (docs: experiments/README.md).");
        Harness(root, "fetch", "Fetch the datasets of the pipeline(s) with the pinned, checksummed script.", HarnessCommands.FetchAsync, spec: false);
        Harness(root, "prepare", "Build tables, draw requests (split by time), train and export the model, δ = validation MAE.", HarnessCommands.PrepareAsync, spec: false, o => o.ExportRequests);
        Train(root);
        Harness(root, "profile", "Fit each query's cost model from validation requests; writes cost-profile.json.", HarnessCommands.ProfileAsync, spec: true);
        Harness(root, "run",
            "Serve the test requests with exact, biathlon, fixed 5% / 20%, DuckDB and the stale cache (built-in pipelines); also the τ sweep, "
            + "the scaling sweeps and the calibration of the calibrated pipelines. With --spec DIR --requests FILE --label COLUMN: the test split "
            + "of your requests file through your pipeline (exact, biathlon, fixed fractions, DuckDB; calibration with --calibration). Writes results/RUN-ID/.",
            HarnessCommands.RunAsync, spec: true);
        Harness(root, "calibrate",
            "Calibration where the bound binds (exact shortcut off): flight-delay, fx-next-price and sensor-anomaly (or --spec) at table seeds 0, 1, 2 "
            + "and δ = MAE, MAE/4, MAE/10 (classification: same label); pass iff the share of BoundMet requests within δ ≥ τ − z₀.₉₉·√(τ(1−τ)/n); "
            + "plus a τ sweep. Writes results/RUN-ID/.",
            HarnessCommands.CalibrateAsync, spec: true);
        Report(root);
        root.Subcommands.Add(ExportOnnx());
        Harness(root, "all", "fetch, prepare, profile, run (with the calibration) and report.", HarnessCommands.AllAsync, spec: false);
        root.Subcommands.Add(LoadTest());
        root.Subcommands.Add(Store.StoreBenchCommand.Create());
        root.Subcommands.Add(FlightDelay());
        var demo = new Command("demo", "Sampled aggregates with 95% intervals beside exact values on the flights data.");
        demo.SetAction((_, _) => SamplingDemo.RunAsync());
        root.Subcommands.Add(demo);
        var help = new Command("help", "This text, or a command's options.");
        var verb = new Argument<string?>("command") { Arity = ArgumentArity.ZeroOrOne, Description = "The command whose options to list." };
        help.Arguments.Add(verb);
        help.SetAction(async (result, _) =>
        {
            var name = result.GetValue(verb);
            if (name is not null && root.Subcommands.All(c => c.Name != name))
            {
                throw new CliException($"unknown command '{name}'", 2);
            }

            await PrintHelpAsync(root, name is null ? [] : [name], Console.Out);
            return 0;
        });
        root.Subcommands.Add(help);
        root.SetAction(async (_, _) =>
        {
            await PrintHelpAsync(root, [], Console.Error);
            return 2;
        });
        return root;
    }

    private static void Harness(RootCommand root, string name, string description, Func<CliArguments, Task<int>> verb, bool spec, Func<HarnessOptions, Option>? extra = null)
    {
        var command = new Command(name, description);
        var options = new HarnessOptions();
        options.AddTo(command, options.BuiltIn);
        if (extra is not null)
        {
            options.AddTo(command, extra(options));
        }

        if (spec)
        {
            options.AddTo(command, options.SpecOptions);
        }

        command.SetAction((result, _) => verb(options.Bind(result)));
        root.Subcommands.Add(command);
    }

    private static void Train(RootCommand root)
    {
        var command = new Command("train",
            "Train a model on exact features of your pipeline's requests file (training split by time), measure it on the validation split and "
            + "export it to the spec's model file (or --out) with δ = validation MAE (binary: validation F1) in its metadata.");
        var options = new HarnessOptions();
        options.Spec.Required = true;
        options.Requests.Required = true;
        options.Label.Required = true;
        options.AddTo(command, options.Spec, options.Requests, options.Label, options.Model, options.TrainSplitOption, options.Seed, options.MaxRequests, options.Out);
        command.SetAction((result, _) => HarnessCommands.TrainAsync(options.Bind(result)));
        root.Subcommands.Add(command);
    }

    private static void Report(RootCommand root)
    {
        var command = new Command("report", "Markdown report and PNG plots of a run (default the latest).");
        var options = new HarnessOptions();
        options.AddTo(command, options.Run, options.Results, options.Pipeline);
        command.SetAction((result, _) => HarnessCommands.ReportAsync(options.Bind(result)));
        root.Subcommands.Add(command);
    }

    private static Command ExportOnnx()
    {
        var command = new Command("export-onnx",
            "Write a LightGBM text model (model.txt: regression or binary, numeric splits) as an ONNX model for ONNX Runtime or any other runtime, "
            + "with δ in its metadata when --delta is given. The engine also reads model.txt directly (docs/models.md).");
        var lightGbm = new Option<string>("--lightgbm") { Description = "The LightGBM text model", HelpName = "FILE", Required = true };
        var output = new Option<string?>("--out") { Description = "The ONNX file to write (default: beside the input, extension .onnx)", HelpName = "FILE" };
        var inputs = new Option<int?>("--inputs") { Description = "ONNX input width D (default: the model's feature count; the pipeline's input count when wider)", HelpName = "D" };
        var delta = new Option<double?>("--delta") { Description = "δ to store as metadata validation_mae (for \"deltaMetadata\": \"validation_mae\")", HelpName = "MAE" };
        command.Options.Add(lightGbm);
        command.Options.Add(output);
        command.Options.Add(inputs);
        command.Options.Add(delta);
        command.SetAction(result => Models.ExportOnnxCommand.Run(result.GetValue(lightGbm)!, result.GetValue(output), result.GetValue(inputs), result.GetValue(delta)));
        return command;
    }

    private static Command FlightDelay()
    {
        var command = new Command("flight-delay",
            "The main job: build what is missing for Flight-Delay (data, cached layouts, trained model), replay N held-out requests exact vs "
            + "approximate, print the table.");
        var requests = new Option<int?>("--requests") { Description = "Held-out requests to replay (default 300)", HelpName = "N" };
        requests.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int?>() is <= 0)
            {
                r.AddError("option --requests needs a positive integer");
            }
        });
        var retrain = new Option<bool>("--retrain") { Description = "Train again even when model.onnx exists" };
        var pipeline = new Option<string?>("--pipeline") { Description = "The pipeline folder under pipelines/ (default flight-delay)", HelpName = "NAME" };
        command.Options.Add(requests);
        command.Options.Add(retrain);
        command.Options.Add(pipeline);
        command.SetAction((result, _) =>
        {
            var args = new List<string>();
            if (result.GetValue(requests) is { } n)
            {
                args.AddRange(["--requests", n.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            }

            if (result.GetValue(retrain))
            {
                args.Add("--retrain");
            }

            if (result.GetValue(pipeline) is { } name)
            {
                args.AddRange(["--pipeline", name]);
            }

            return FlightDelayCommand.RunAsync([.. args]);
        });
        return command;
    }

    /// <summary><c>loadtest</c> keeps its own strict parser (<see cref="LoadTestOptions"/>): its tokens pass through.</summary>
    private static Command LoadTest()
    {
        var command = new Command("loadtest",
            "The scoring server (src/Host, started as a child process, one per audit setting; or a running one with --server URL) under closed-loop "
            + "HTTP clients cycling through the held-out requests: throughput, latency mean/SD/p50/p99/p99.9, server overhead, audit cost, scaling, "
            + "S1 stability. Writes loadtest.csv, loadtest.json and loadtest.md to DIR (default experiments/reports/DATE/). Options: "
            + "[--pipeline a,b] [--clients 1,2,4,8,16] [--duration 10s] [--warmup 2s] [--audit off,on] [--modes approximate,exact] [--out DIR] "
            + "[--server URL] [--requests N] [--seed N] [--pipelines DIR]; or --report DIR to write DIR's loadtest.md and loadtest.csv again from its loadtest.json.")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        command.SetAction((result, _) => LoadTestCommand.RunAsync([.. result.UnmatchedTokens]));
        return command;
    }
}
