using System.Globalization;
using Biathlon.Engine;
using Biathlon.Engine.Specs;
using Biathlon.Experiments.Pipelines;

namespace Biathlon.Experiments;

/// <summary>
/// The main job: the Flight-Delay pipeline end to end on real data. Builds what is missing (data, cached table
/// layouts, trained model), then replays held-out June requests exact vs approximate and prints the comparison.
/// </summary>
internal static class FlightDelayCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        var pipeline = "flight-delay";
        var requests = 300;
        var retrain = false;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--requests" when i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n > 0:
                    requests = n;
                    i++;
                    break;
                case "--retrain":
                    retrain = true;
                    break;
                case "--pipeline" when i + 1 < args.Length:
                    pipeline = args[++i];
                    break;
                default:
                    throw new CliException($"unknown option '{args[i]}' (options: --requests N, --retrain, --pipeline NAME)", 2);
            }
        }

        var folder = Path.Combine(RepositoryPaths.Root, "pipelines", pipeline);
        if (!File.Exists(Path.Combine(folder, PipelineSpecLoader.SpecFileName)))
        {
            throw new CliException($"no pipeline '{pipeline}' (expected {folder}/{PipelineSpecLoader.SpecFileName})", 2);
        }

        var progress = new ConsoleProgress();
        var parquet = DatasetFetcher.Require("flights", "flights-3m.parquet");
        var flights = await FlightRequests.LoadAsync(parquet);
        var training = await FlightPipelines.PrepareAsync(folder, RepositoryPaths.Data, flights, new FlightPipelines.PrepareOptions(Retrain: retrain), progress);
        Console.WriteLine(training.Reused
            ? $"model: {training.ModelFile} (existing; validation error {training.ValidationMae:0.###})"
            : $"model: trained on {training.TrainRequests:N0} requests, validation error {training.ValidationMae:0.###}, exported to {training.ModelFile}");

        using var engine = await BiathlonEngine.LoadAsync(folder, new EngineOptions { DataDirectory = RepositoryPaths.Data, Progress = progress });
        var recipe = new FlightRecipe(late: engine.Definition.IsBinary);
        var test = flights.Sample(FlightPipelines.Test.From, FlightPipelines.Test.To, requests, seed: 2).Select(recipe.ToHarness).ToArray();
        var report = ReplayReport.Run(engine, test, progress);
        Console.WriteLine();
        Console.WriteLine($"pipeline {engine.Definition.Name}: {engine.Definition.Description}");
        report.Print(Console.Out);
        return 0;
    }
}

/// <summary>Progress lines on standard error, so standard output keeps only results.</summary>
internal sealed class ConsoleProgress : IProgress<string>
{
    public void Report(string value) => Console.Error.WriteLine($"  {value}");
}
