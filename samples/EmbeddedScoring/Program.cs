using Biathlon.Engine;
using Biathlon.Sampling.Errors;
using EmbeddedScoring;

// Scores JSON-line requests with a pipeline folder through the Biathlon.Engine package: one JSON line out per request.
// Every failure is one line on standard error and a non-zero exit code, never a stack trace.
CommandLine command;
try
{
    command = CommandLine.Parse(args);
}
catch (UsageException e)
{
    Console.Error.WriteLine($"EmbeddedScoring: {e.Message}");
    Console.Error.WriteLine(CommandLine.Usage);
    return 2;
}

if (command.Help)
{
    Console.WriteLine(CommandLine.Usage);
    return 0;
}

try
{
    using var input = command.OpenRequests();
    using var stdout = Console.OpenStandardOutput();
    await Score(command.Pipeline, command.DataDirectory, input, stdout);
    return 0;
}
catch (ScoringException e)
{
    Console.Error.WriteLine($"EmbeddedScoring: {e.Message}");
    return 1;
}
catch (BiathlonException e)
{
    // Loading failed: a bad spec (PipelineSpecException names the file and JSON path), an unreadable data file.
    Console.Error.WriteLine($"EmbeddedScoring: {e.Message}");
    return 1;
}
catch (Exception e)
{
    // Anything else (an I/O error, a fault of the engine) is still one line, not a stack trace.
    Console.Error.WriteLine($"EmbeddedScoring: {e.GetType().Name}: {e.Message}");
    return 1;
}

static async Task Score(string pipelineFolder, string? dataFolder, TextReader input, Stream output)
{
    var lineNumber = 0;
    try
    {
        // readme-snippet-start
        using var engine = await BiathlonEngine.LoadAsync(pipelineFolder, new EngineOptions { DataDirectory = dataFolder });
        using var results = new ResultLine(output, engine.Definition);
        while (input.ReadLine() is { } line)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            Dictionary<string, object?> request = RequestLine.Parse(line, lineNumber);   // field name → value
            PredictionResult result = engine.Predict(request);    // RequestException names a bad field
            results.Write(lineNumber, result);    // value, bound met, stop reason, confidence, δ, rounds, S1
        }
        // readme-snippet-end
    }
    catch (RequestException e)
    {
        throw new ScoringException($"line {lineNumber}, field '{e.Field}': {e.Message}");
    }
    catch (BiathlonException e) when (lineNumber > 0)
    {
        throw new ScoringException($"line {lineNumber}: {e.Message}");
    }
}
