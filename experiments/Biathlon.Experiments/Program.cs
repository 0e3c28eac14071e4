using Biathlon.Experiments;
using Biathlon.Sampling;

const string Usage = """
    usage: biathlon-experiments <command> [options]

    commands:
      demo     Ingest the real flights data (fetched on first use), then print sampled aggregates
               with their 95% intervals beside the exact values.
      fetch    Fetch datasets with the pinned, checksummed script: fetch [flights|sensors|r ...]
      help     Show this text.
    """;

try
{
    switch (args.FirstOrDefault())
    {
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
