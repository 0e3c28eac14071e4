namespace EmbeddedScoring;

/// <summary>The parsed command line: <c>EmbeddedScoring PIPELINE_DIR [REQUESTS_FILE] [--data DIR]</c>.</summary>
/// <param name="Pipeline">The pipeline folder (or its spec file).</param>
/// <param name="RequestsFile">JSON lines of requests; null to read standard input.</param>
/// <param name="DataDirectory">What <c>${data}</c> in the spec's table sources stands for; null for the engine's default.</param>
internal sealed record CommandLine(string Pipeline, string? RequestsFile, string? DataDirectory)
{
    /// <summary>What <c>--help</c> prints.</summary>
    public const string Usage = """
        usage: EmbeddedScoring PIPELINE_DIR [REQUESTS_FILE] [--data DIR]
          PIPELINE_DIR   a Biathlon pipeline folder (pipeline.json, model, data references)
          REQUESTS_FILE  one JSON object of request fields per line; standard input when absent
          --data DIR     what ${data} means in the spec's table sources (default: $BIATHLON_DATA, else the nearest
                         data/real folder at or above the pipeline folder)
        Prints one JSON line per request: the prediction, whether the bound was met and why the loop stopped, the
        confidence achieved, δ, rounds, the mean sample fraction and the feature queries by importance (S1).
        Exit codes: 0 all scored; 1 a bad request line, pipeline or file (one error line on standard error); 2 usage.
        """;

    /// <summary>True when <c>--help</c> was asked for.</summary>
    public bool Help { get; private init; }

    /// <summary>Reads <paramref name="args"/>; throws <see cref="UsageException"/> naming what is wrong.</summary>
    public static CommandLine Parse(IReadOnlyList<string> args)
    {
        var positional = new List<string>();
        string? data = null;
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "-h" or "--help":
                    return new CommandLine("", null, null) { Help = true };
                case "--data":
                    if (i + 1 >= args.Count)
                    {
                        throw new UsageException("--data needs a folder.");
                    }

                    data = args[++i];
                    break;
                case var option when option.StartsWith('-') && option.Length > 1:
                    throw new UsageException($"unknown option '{option}'.");
                default:
                    positional.Add(args[i]);
                    break;
            }
        }

        return positional.Count switch
        {
            0 => throw new UsageException("PIPELINE_DIR is missing."),
            1 => new CommandLine(positional[0], null, data),
            2 => new CommandLine(positional[0], positional[1], data),
            _ => throw new UsageException($"unexpected argument '{positional[2]}'."),
        };
    }

    /// <summary>Opens the requests: the file, or standard input. Throws <see cref="ScoringException"/> naming an unreadable file.</summary>
    public TextReader OpenRequests()
    {
        if (RequestsFile is null)
        {
            return Console.In;
        }

        try
        {
            return new StreamReader(RequestsFile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ScoringException($"cannot read the requests file '{RequestsFile}': {e.Message}");
        }
    }
}
