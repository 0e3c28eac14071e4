using System.Globalization;
using Biathlon.Engine.Specs;
using Biathlon.Experiments.Pipelines;

namespace Biathlon.Experiments.Specs;

/// <summary>
/// Writes requests in the form <see cref="RequestsFile"/> reads: one column per request field of the spec, then the
/// label column; a missing field is an empty cell; timestamps as ISO 8601 (to the tick, no zone). A built-in recipe's
/// drawn requests written this way can be trained and run with <c>--spec</c> like a user's requests file.
/// </summary>
public static class RequestsCsv
{
    /// <summary>The label column's name in written files.</summary>
    public const string LabelColumn = "label";

    /// <summary>Writes <paramref name="requests"/> of <paramref name="definition"/> to <paramref name="file"/>, in the given order.</summary>
    public static void Write(string file, PipelineDefinition definition, IEnumerable<HarnessRequest> requests)
    {
        if (definition.Request.Any(f => f.Name == LabelColumn))
        {
            throw new CliException($"pipeline '{definition.Name}' has a request field named '{LabelColumn}'; its requests cannot be written with a '{LabelColumn}' column", 1);
        }

        using var writer = new StreamWriter(file);
        writer.WriteLine(string.Join(',', definition.Request.Select(f => Escape(f.Name)).Append(LabelColumn)));
        foreach (var request in requests)
        {
            var cells = definition.Request.Select(f => Cell(request.Fields.GetValueOrDefault(f.Name)));
            writer.WriteLine(string.Join(',', cells.Append(request.Label.ToString("R", CultureInfo.InvariantCulture))));
        }
    }

    private static string Cell(object? value) => value switch
    {
        null => "",
        string s => Escape(s),
        DateTime t => t.ToString("yyyy-MM-ddTHH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture),
        double d => double.IsFinite(d) ? d.ToString("R", CultureInfo.InvariantCulture) : "",
        float f => float.IsFinite(f) ? f.ToString("R", CultureInfo.InvariantCulture) : "",
        IFormattable x => x.ToString(null, CultureInfo.InvariantCulture),
        var other => Escape(other.ToString() ?? ""),
    };

    private static string Escape(string text) =>
        text.AsSpan().IndexOfAny(",\"\n\r") >= 0 ? $"\"{text.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : text;
}
