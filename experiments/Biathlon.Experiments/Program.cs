using Biathlon.Experiments;
using Biathlon.Experiments.Cli;
using Biathlon.Sampling.Errors;

try
{
    return await HarnessCommandLine.RunAsync(args);
}
catch (CliException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return e.ExitCode;
}
catch (AggregateException e) when (e.Flatten().InnerExceptions is [CliException or BiathlonException, ..])
{
    // A parallel step (exact features) failed: its first error, in one line.
    var first = e.Flatten().InnerExceptions[0];
    Console.Error.WriteLine($"error: {first.Message}");
    return first is CliException cli ? cli.ExitCode : 1;
}
catch (BiathlonException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}
catch (Exception e) when (Environment.GetEnvironmentVariable("BIATHLON_DEBUG") != "1")
{
    // Anything else is reported in one line too; set BIATHLON_DEBUG=1 for the stack trace.
    Console.Error.WriteLine($"error: {e.GetType().Name}: {e.Message}");
    return 1;
}
