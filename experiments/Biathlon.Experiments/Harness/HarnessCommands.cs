using System.Globalization;
using System.Runtime.InteropServices;
using Biathlon.Engine;
using Biathlon.Engine.Specs;
using Biathlon.Experiments.Cli;
using Biathlon.Experiments.Pipelines;
using Biathlon.Experiments.Reporting;
using Biathlon.Experiments.Results;
using Biathlon.Experiments.Specs;

namespace Biathlon.Experiments.Harness;

/// <summary>The harness verbs: fetch, prepare, train, profile, run, calibrate, report and all (docs: experiments/README.md).</summary>
public static class HarnessCommands
{
    private static readonly IProgress<string> s_progress = CliProgress.Instance;

    public static Task<int> FetchAsync(CliArguments args)
    {
        _ = Recipes(args); // fetches what is missing; reports (or, for a named pipeline, fails on) what cannot be fetched
        return Task.FromResult(0);
    }

    /// <summary>
    /// <c>train</c>: a <c>--spec</c> pipeline's model trained on exact features of the training split of its requests
    /// file, measured on the validation split and exported (δ = validation MAE, or the validation F1 of a binary pipeline).
    /// </summary>
    public static async Task<int> TrainAsync(CliArguments args)
    {
        var recipe = args.SpecRecipe();
        var requests = await recipe.LoadRequestsAsync(RepositoryPaths.Data, RecipeSizes.Full, args.Seed);
        s_progress.Report($"{recipe.Name}: {requests.Train.Count:N0} training, {requests.Validation.Count:N0} validation, {requests.Test.Count:N0} test requests from {recipe.RequestsFile}");
        var modelFile = args.Out is { } output ? Path.GetFullPath(output) : recipe.Definition.ModelFile;
        Directory.CreateDirectory(Path.GetDirectoryName(modelFile)!);
        var summary = await PipelinePreparation.PrepareAsync(recipe, recipe.Folder, RepositoryPaths.Data, requests, retrain: true, args.Seed, progress: s_progress, modelFile: modelFile);
        Console.WriteLine($"model: {summary.ModelFile}");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"validation {summary.ValidationMetric}: {summary.ValidationValue:0.######}{(summary.ValidationMetric == "MAE" ? " (δ)" : "")} on {requests.Validation.Count} requests; trained on {summary.TrainRequests}"));
        return 0;
    }

    public static async Task<int> PrepareAsync(CliArguments args)
    {
        var recipes = Recipes(args);
        if (args.ExportRequests is not null && recipes.Count != 1)
        {
            throw new CliException("option --export-requests needs one pipeline (--pipeline NAME)", 2);
        }

        foreach (var recipe in recipes)
        {
            var requests = await PrepareOneAsync(recipe, args);
            if (args.ExportRequests is { } file)
            {
                ExportRequests(file, PipelineSpecLoader.Load(PipelineFolder(args, recipe), RepositoryPaths.Data), requests);
            }
        }

        return 0;
    }

    /// <summary>Writes a recipe's drawn requests as a requests file, and the <c>train</c> split that gives the same splits back.</summary>
    private static void ExportRequests(string file, PipelineDefinition definition, RecipeRequests requests)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        RequestsCsv.Write(file, definition, [.. requests.Train, .. requests.Validation, .. requests.Test]);
        double total = requests.Train.Count + requests.Validation.Count + requests.Test.Count;
        Console.WriteLine($"requests: {file} ({total} rows)");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  the same split: --label {RequestsCsv.LabelColumn} --train-split {requests.Train.Count / total:R},{requests.Validation.Count / total:R}"));
    }

    public static async Task<int> ProfileAsync(CliArguments args)
    {
        foreach (var recipe in Recipes(args))
        {
            var requests = await PrepareOneAsync(recipe, args);
            using var engine = await LoadEngineAsync(args, recipe);
            var count = Math.Min(args.TestRequests ?? (args.Quick ? 5 : 30), requests.Validation.Count);
            Profiler.Run(engine, requests.Validation.Take(count).ToArray(), s_progress);
        }

        return 0;
    }

    public static async Task<int> RunAsync(CliArguments args)
    {
        var recipes = Recipes(args);
        var runId = args.Run ?? $"{DateTime.UtcNow:yyyyMMdd-HHmmss}-{RunName(args, recipes)}{(args.Quick ? "-quick" : "")}";
        var runFolder = Path.Combine(args.ResultsRoot, runId);
        Directory.CreateDirectory(runFolder);
        var pipelines = new List<PipelineSummary>();
        var methods = new List<MethodSummary>();
        var scaling = new List<ScalingPoint>();
        var taus = new List<TauPoint>();
        var calibration = new List<CalibrationCell>();
        var calibrationSweep = new List<CalibrationCell>();
        // One ClickHouse server for the whole run (each pipeline's tables are loaded into it in turn).
        using var clickHouse = args.ClickHouse ? MethodRunner.TryStartClickHouse(s_progress) : null;
        foreach (var recipe in recipes)
        {
            var requests = await PrepareOneAsync(recipe, args);
            var test = requests.Test.Take(args.TestRequests ?? requests.Test.Count).ToArray();
            using var engine = await LoadEngineAsync(args, recipe);
            var spec = recipe is SpecRecipe;
            var (summaries, records) = MethodRunner.Run(engine, recipe, test, new MethodRunner.Options(DuckDb: args.DuckDb, StaleCache: !spec, Seed: args.Seed, ClickHouse: clickHouse is not null, ClickHouseServer: clickHouse), s_progress);
            methods.AddRange(summaries);
            WriteRecords(Path.Combine(runFolder, $"requests-{recipe.Name}.csv"), records);
            pipelines.Add(Summarise(recipe, engine, requests, test.Length));
            PrintSummaries(recipe.Name, summaries);

            if (!spec && recipe.Name == "flight-late")
            {
                // τ matters where the bound is tight: a label must not flip (δ = 0). For flight-delay, δ = validation MAE
                // (about 16 minutes) is met in one round at every τ, so its sweep would be flat.
                var sweepRequests = test.Take(args.Quick ? 10 : 150).ToArray();
                taus.AddRange(TauSweep.Run(engine, sweepRequests, [0.5, 0.8, 0.9, 0.95, 0.99], s_progress));
            }

            if (!spec && ScalingExperiment.Sweeps.TryGetValue(recipe.Name, out var sweep))
            {
                // Latency and speedup against rows per request: one heavy query's window varied (ScalingExperiment.Sweeps).
                scaling.AddRange(ScalingExperiment.Run(
                    PipelineFolder(args, recipe), RepositoryPaths.Data, runFolder, sweep.Query, sweep.Windows,
                    test.Take(args.Quick ? 8 : 40).ToArray(), args.DuckDb, s_progress, args.Seed));
            }

            if (args.Calibration ?? (!spec && CalibrationSettings.DefaultPipelines.Contains(recipe.Name)))
            {
                var outcome = await CalibrateOneAsync(recipe, args, test, runFolder);
                calibration.AddRange(outcome.Cells);
                calibrationSweep.AddRange(outcome.Sweep);
            }
        }

        return SaveResults(runId, runFolder, args, pipelines, methods, scaling, taus, calibration, calibrationSweep);
    }

    /// <summary>
    /// The calibration alone: for each pipeline (default flight-delay, fx-next-price and sensor-anomaly), prepared if
    /// needed, its test requests served at every table seed and δ with the exact shortcut off, judged by
    /// <see cref="CalibrationRule"/>, plus the τ sweep. Writes results.json and calibration-PIPELINE.csv into a run
    /// folder; exits 0 whether or not every cell passes (the table and the report say which do not).
    /// </summary>
    public static async Task<int> CalibrateAsync(CliArguments args)
    {
        args.CalibrationSettings().Validate();
        var recipes = Recipes(args, CalibrationSettings.DefaultPipelines);
        var runId = args.Run ?? $"{DateTime.UtcNow:yyyyMMdd-HHmmss}-calibration-{RunName(args, recipes)}{(args.Quick ? "-quick" : "")}";
        var runFolder = Path.Combine(args.ResultsRoot, runId);
        Directory.CreateDirectory(runFolder);
        var pipelines = new List<PipelineSummary>();
        var cells = new List<CalibrationCell>();
        var sweep = new List<CalibrationCell>();
        foreach (var recipe in recipes)
        {
            var requests = await PrepareOneAsync(recipe, args);
            var test = requests.Test.Take(args.TestRequests ?? requests.Test.Count).ToArray();
            using (var engine = await LoadEngineAsync(args, recipe))
            {
                pipelines.Add(Summarise(recipe, engine, requests, test.Length));
            }

            var outcome = await CalibrateOneAsync(recipe, args, test, runFolder);
            cells.AddRange(outcome.Cells);
            sweep.AddRange(outcome.Sweep);
        }

        return SaveResults(runId, runFolder, args, pipelines, [], [], [], cells, sweep);
    }

    /// <summary>Writes a run's results.json and says where.</summary>
    private static int SaveResults(
        string runId, string runFolder, CliArguments args, List<PipelineSummary> pipelines, List<MethodSummary> methods,
        List<ScalingPoint> scaling, List<TauPoint> taus, List<CalibrationCell> calibration, List<CalibrationCell> calibrationSweep)
    {
        var results = new RunResults
        {
            RunId = runId,
            StartedUtc = DateTime.UtcNow,
            Machine = Machine(),
            Command = "biathlon-experiments " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1)),
            Seed = args.Seed,
            Pipelines = pipelines,
            Methods = methods,
            Scaling = scaling,
            TauSweep = taus,
            Calibration = calibration,
            CalibrationSweep = calibrationSweep,
        };
        ResultsStore.Save(results, runFolder);
        Console.WriteLine($"results: {Path.Combine(runFolder, "results.json")}");
        return 0;
    }

    public static Task<int> ReportAsync(CliArguments args)
    {
        var runFolder = ResolveRun(args);
        var results = ResultsStore.Load(runFolder);
        var plots = Plots.WriteAll(results, Path.Combine(runFolder, "plots"));
        MarkdownReport.Write(results, runFolder, plots);
        Console.WriteLine($"report: {Path.Combine(runFolder, "report.md")} ({plots.Count} plots)");
        return Task.FromResult(0);
    }

    public static async Task<int> AllAsync(CliArguments args)
    {
        await FetchAsync(args);
        await PrepareAsync(args);
        await ProfileAsync(args);
        var runId = args.Run ?? $"{DateTime.UtcNow:yyyyMMdd-HHmmss}-{args.Pipeline}{(args.Quick ? "-quick" : "")}";
        await RunAsync(args with { Run = runId });
        return await ReportAsync(args with { Run = runId });
    }

    /// <summary>
    /// The pipelines to work on. A named pipeline whose data cannot be fetched is an error; with "all", such a
    /// pipeline is skipped with a message (never faked with other data) and the others go on.
    /// </summary>
    /// <param name="args">The options; <c>--pipeline</c> names one pipeline or "all".</param>
    /// <param name="all">What "all" means (default every pipeline in the catalog).</param>
    private static IReadOnlyList<IPipelineRecipe> Recipes(CliArguments args, IReadOnlyCollection<string>? all = null)
    {
        if (args.Spec is not null)
        {
            return [args.SpecRecipe()];
        }

        if (args.RequestsFile is not null || args.Label is not null)
        {
            throw new CliException($"option {(args.RequestsFile is not null ? "--requests FILE" : "--label")} needs --spec DIR (a count of test requests is --test-requests N)", 2);
        }

        if (args.Pipeline != "all")
        {
            var recipe = RecipeCatalog.Find(args.Pipeline);
            DatasetFetcher.Require(recipe.DatasetSet, recipe.DatasetFile);
            return [recipe];
        }

        var available = new List<IPipelineRecipe>();
        foreach (var recipe in RecipeCatalog.All.Where(r => all is null || all.Contains(r.Name)))
        {
            try
            {
                DatasetFetcher.Require(recipe.DatasetSet, recipe.DatasetFile);
                available.Add(recipe);
            }
            catch (CliException e)
            {
                Console.Error.WriteLine($"skipping {recipe.Name}: its dataset '{recipe.DatasetSet}' is unavailable ({e.Message})");
            }
        }

        return available.Count > 0 ? available : throw new CliException("no pipeline's dataset could be fetched", 1);
    }

    /// <summary>The name a run folder gets: the pipeline option, or the spec pipeline's name.</summary>
    private static string RunName(CliArguments args, IReadOnlyList<IPipelineRecipe> recipes) =>
        args.Spec is null ? args.Pipeline : recipes[0].Name;

    private static string PipelineFolder(CliArguments args, IPipelineRecipe recipe)
    {
        if (recipe is SpecRecipe spec)
        {
            return spec.Folder;
        }

        var folder = Path.Combine(args.PipelinesRoot, recipe.Name);
        return File.Exists(Path.Combine(folder, PipelineSpecLoader.SpecFileName))
            ? folder
            : throw new CliException($"pipeline '{recipe.Name}' has no spec at {Path.Combine(folder, PipelineSpecLoader.SpecFileName)}", 2);
    }

    private static async Task<RecipeRequests> PrepareOneAsync(IPipelineRecipe recipe, CliArguments args)
    {
        var sizes = args.Quick ? RecipeSizes.Quick : RecipeSizes.Full;
        var requests = await recipe.LoadRequestsAsync(RepositoryPaths.Data, sizes, args.Seed);
        if (recipe is SpecRecipe spec)
        {
            if (!File.Exists(spec.Definition.ModelFile))
            {
                throw new CliException($"pipeline '{spec.Name}' has no model at {spec.Definition.ModelFile}: run `train` first", 1);
            }

            using var model = Engine.Models.OnnxModel.Load(spec.Definition.ModelFile, spec.Definition.Task);
            if (model.Metadata.TryGetValue("train_split", out var trained) && trained != spec.SplitDescription)
            {
                s_progress.Report($"warning: the model was trained with the split {trained} (seed {model.Metadata.GetValueOrDefault("seed", "?")}); this run splits {spec.SplitDescription}, so its test split may hold training requests");
            }
        }

        var summary = await PipelinePreparation.PrepareAsync(
            recipe, PipelineFolder(args, recipe), RepositoryPaths.Data, requests, args.Retrain && recipe is not SpecRecipe, args.Seed,
            progress: s_progress, modelFile: (recipe as SpecRecipe)?.Definition.ModelFile);
        s_progress.Report($"{recipe.Name}: model {(summary.Reused ? "reused" : "trained")} ({summary.ValidationMetric} {summary.ValidationValue:0.####})");
        return requests;
    }

    private static async Task<CalibrationExperiment.Outcome> CalibrateOneAsync(
        IPipelineRecipe recipe, CliArguments args, IReadOnlyList<HarnessRequest> test, string runFolder)
    {
        var outcome = await CalibrationExperiment.RunAsync(
            PipelineFolder(args, recipe), RepositoryPaths.Data, test, args.CalibrationSettings(), s_progress);
        CalibrationCsv.Write(Path.Combine(runFolder, $"calibration-{recipe.Name}.csv"), outcome.Records);
        PrintCalibration(recipe.Name, outcome.Cells);
        return outcome;
    }

    private static void PrintCalibration(string pipeline, IReadOnlyList<CalibrationCell> cells)
    {
        Console.WriteLine();
        Console.WriteLine($"{pipeline}: calibration with the exact shortcut off (pass: k/n ≥ τ − {CalibrationRule.Z99:0.0000}·√(τ(1−τ)/n))");
        Console.WriteLine($"  {"seed",4} {"δ",-11} {"δ value",10} {"τ",5} {"n",4} {"k",4} {"share",7} {"margin",7} {"pass",5} {"exact",6} {"max-r",6} {"rounds",7} {"fraction",9}");
        foreach (var c in cells)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {c.TableSeed,4} {c.DeltaLabel,-11} {c.Delta,10:0.######} {c.Tau,5:0.##} {c.BoundMet,4} {c.Within,4} {c.Share,7:P1} {c.Margin,7:0.0000} {(c.Pass ? c.BoundMet > 0 ? "yes" : "n/a" : "NO"),5} {c.AllExact,6} {c.MaxRounds,6} {c.MeanRounds,7:F2} {c.MeanFraction,9:F3}"));
        }
    }

    private static Task<BiathlonEngine> LoadEngineAsync(CliArguments args, IPipelineRecipe recipe) =>
        BiathlonEngine.LoadAsync(PipelineFolder(args, recipe), new EngineOptions { DataDirectory = RepositoryPaths.Data, Progress = s_progress });

    private static PipelineSummary Summarise(IPipelineRecipe recipe, BiathlonEngine engine, RecipeRequests requests, int tested)
    {
        var definition = engine.Definition;
        using var model = Engine.Models.OnnxModel.Load(definition.ModelFile, definition.Task);
        var regression = definition.Task == Planner.Propagation.PredictionTask.Regression;
        var metric = regression ? "MAE" : "F1";
        var value = double.Parse(model.Metadata.GetValueOrDefault(regression ? "validation_mae" : "validation_f1", "NaN"), CultureInfo.InvariantCulture);
        var trained = int.Parse(model.Metadata.GetValueOrDefault("train_requests", "0"), CultureInfo.InvariantCulture);

        // A spec pipeline's model is whatever `train` fitted: its metadata says which.
        var description = recipe is SpecRecipe spec && model.Metadata.TryGetValue("model", out var kind) && ModelTrainer.Parse(kind) is { } fitted
            ? ModelTrainer.Describe(fitted, spec.Binary)
            : recipe.ModelDescription;
        return new PipelineSummary(
            recipe.Name, regression ? "regression" : definition.IsBinary ? "binary" : "multiclass", description,
            engine.Delta, definition.Bound.Tau, trained, tested, metric, value, recipe.DataCredit, definition.Bound.DeltaField);
    }

    private static void WriteRecords(string file, IReadOnlyList<RequestRecord> records)
    {
        using var writer = new StreamWriter(file);
        writer.WriteLine("pipeline,method,request,label,value,latency_ms,rounds,mean_fraction,sampling_ms,propagation_ms,planning_ms,stop");
        foreach (var r in records)
        {
            writer.WriteLine(string.Join(',',
                r.Pipeline, r.Method, r.Request.ToString(CultureInfo.InvariantCulture), F(r.Label), F(r.Value), F(r.LatencyMs),
                r.Rounds.ToString(CultureInfo.InvariantCulture), F(r.MeanFraction), F(r.SamplingMs), F(r.PropagationMs), F(r.PlanningMs), r.Stop));
        }

        static string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);
    }

    private static void PrintSummaries(string pipeline, IReadOnlyList<MethodSummary> summaries)
    {
        Console.WriteLine();
        Console.WriteLine($"{pipeline}: {summaries[0].Requests} test requests");
        Console.WriteLine($"  {"method",-17} {"mean ms",9} {"p99 ms",9} {"speedup",8} {"accuracy",10} {"agree",7} {"fraction",9} {"rounds",7}");
        foreach (var s in summaries)
        {
            var latency = s.LatencyMeasured ? $"{s.MeanMs,9:F3} {s.P99Ms,9:F3} {s.Speedup,7:F2}x" : $"{"n/a",9} {"n/a",9} {"n/a",8}";
            Console.WriteLine($"  {s.Method,-17} {latency} {s.AccuracyMetric + " " + s.Accuracy.ToString("0.000", CultureInfo.InvariantCulture),10} {s.AgreementWithExact,7:P1} {s.MeanFraction,9:F3} {s.MeanRounds,7:F2}");
        }
    }

    private static string ResolveRun(CliArguments args)
    {
        if (args.Run is { } id && id != "latest")
        {
            var folder = Path.Combine(args.ResultsRoot, id);
            return Directory.Exists(folder) ? folder : throw new CliException($"no run '{id}' in {args.ResultsRoot}", 2);
        }

        var latest = Directory.Exists(args.ResultsRoot)
            ? Directory.GetDirectories(args.ResultsRoot).Where(d => File.Exists(Path.Combine(d, "results.json"))).OrderBy(d => d, StringComparer.Ordinal).LastOrDefault()
            : null;
        return latest ?? throw new CliException($"no run with results.json in {args.ResultsRoot}; run 'run' or 'all' first", 1);
    }

    /// <summary>The machine in words: CPU model, cores, memory, OS, .NET.</summary>
    public static string Machine()
    {
        var cpu = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
            : null;
        var memory = File.Exists("/proc/meminfo")
            ? File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
            : null;
        return $"{cpu ?? RuntimeInformation.ProcessArchitecture.ToString()}, {Environment.ProcessorCount} cores, {memory ?? "? memory"}, {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}";
    }
}
