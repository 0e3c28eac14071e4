using Biathlon.Experiments;
using Biathlon.Sampling;

const string Usage = """
    usage: biathlon-experiments <command> [options]

    commands:
      flight-delay [--requests N] [--retrain] [--pipeline NAME]
               The main job: build what is missing for the Flight-Delay pipeline (data, cached
               layouts, trained model), then replay N held-out requests (default 300) exact vs
               approximate and print latency, speedup, share within δ and accuracy.
      demo     Print sampled aggregates with their 95% intervals beside the exact values
               on the real flights data.
      fetch    Fetch datasets with the pinned, checksummed script: fetch [flights|sensors|r ...]
      help     Show this text.
    """;

try
{
    switch (args.FirstOrDefault())
    {
        case "flight-delay":
            return await FlightDelayCommand.RunAsync(args[1..]);
        case "demo":
            return await SamplingDemo.RunAsync();
        case "fetch":
            DatasetFetcher.Run(args.Skip(1).ToArray());
            return 0;
        case null or "help" or "--help" or "-h":
            Console.WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        default:
            Console.Error.WriteLine($"unknown command '{args[0]}'.");
            Console.Error.WriteLine(Usage);
            return 2;
    }
}
catch (CliException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return e.ExitCode;
}
catch (BiathlonException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}
