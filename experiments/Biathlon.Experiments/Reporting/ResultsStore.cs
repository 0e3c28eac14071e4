using System.Text.Json;
using System.Text.Json.Serialization;
using Biathlon.Experiments.Results;

namespace Biathlon.Experiments.Reporting;

/// <summary>Reads and writes a run's <c>results.json</c>, the one document the report and plots are made from.</summary>
public static class ResultsStore
{
    public const string FileName = "results.json";

    private static readonly JsonSerializerOptions s_options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        // A metric can be undefined (e.g. agreement of a method that served no request); keep NaN rather than fail.
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        // A hand-edited or truncated file must fail here, naming the file, not later as a NullReferenceException.
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip,
    };

    /// <summary>The path of results.json in <paramref name="runFolder"/>.</summary>
    public static string PathIn(string runFolder) => Path.Combine(runFolder, FileName);

    /// <summary>Writes <paramref name="results"/> as results.json in <paramref name="runFolder"/> (created if needed).</summary>
    public static string Save(RunResults results, string runFolder)
    {
        ArgumentNullException.ThrowIfNull(results);
        Directory.CreateDirectory(runFolder);
        var path = PathIn(runFolder);
        // Write then rename, so that an interrupted save never leaves half a results file behind.
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(results, s_options) + "\n");
        File.Move(temporary, path, overwrite: true);
        return path;
    }

    /// <summary>Reads results.json from <paramref name="runFolder"/>.</summary>
    /// <exception cref="CliException">The file is missing, unreadable or not a complete results document.</exception>
    public static RunResults Load(string runFolder)
    {
        var path = PathIn(runFolder);
        if (!File.Exists(path))
        {
            throw new CliException(
                Directory.Exists(runFolder)
                    ? $"{path} not found: the run folder holds no results (did the run finish?)."
                    : $"{path} not found: no run folder {runFolder}.",
                2);
        }

        try
        {
            using var stream = File.OpenRead(path);
            return JsonSerializer.Deserialize<RunResults>(stream, s_options)
                ?? throw new CliException($"{path} is not a results file: it holds JSON null.");
        }
        catch (JsonException ex)
        {
            // The serializer's message names the JSON path and line.
            throw new CliException($"{path} is not a valid results file: {ex.Message}");
        }
        catch (IOException ex)
        {
            throw new CliException($"{path} could not be read: {ex.Message}");
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new CliException($"{path} could not be read: {ex.Message}");
        }
    }
}
