using System.Text.Json;

namespace EmbeddedScoring;

/// <summary>
/// Reads one line of the requests file: a JSON object whose properties are request fields with string, number,
/// boolean or null values (a timestamp is ISO 8601 text). Whole numbers stay <see cref="long"/>, others
/// <see cref="double"/>; the engine converts and checks each against the spec's field type.
/// </summary>
internal static class RequestLine
{
    private static readonly JsonDocumentOptions s_options = new() { MaxDepth = 4 };

    /// <summary>Parses <paramref name="text"/>; throws <see cref="ScoringException"/> naming the line and, where one is at fault, the field.</summary>
    public static Dictionary<string, object?> Parse(string text, int lineNumber)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text, s_options);
        }
        catch (JsonException e)
        {
            var at = e.BytePositionInLine is { } position ? $" at byte {position + 1}" : "";
            throw new ScoringException($"line {lineNumber}: not valid JSON{at}; each line must be one JSON object of request fields.");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new ScoringException($"line {lineNumber}: a request must be a JSON object of request fields; got {Describe(root.ValueKind)}.");
            }

            try
            {
                return ReadFields(root, lineNumber);
            }
            catch (InvalidOperationException)
            {
                // System.Text.Json parses an escaped lone surrogate but cannot turn it into a .NET string.
                throw new ScoringException($"line {lineNumber}: holds a string that is not valid text (an escaped lone surrogate).");
            }
        }
    }

    private static Dictionary<string, object?> ReadFields(JsonElement root, int lineNumber)
    {
        var fields = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var property in root.EnumerateObject())
        {
            var value = property.Value;
            object? converted = value.ValueKind switch
            {
                JsonValueKind.String => value.GetString(),
                JsonValueKind.Number when value.TryGetInt64(out var whole) => whole,
                JsonValueKind.Number when value.TryGetDouble(out var number) && double.IsFinite(number) => number,
                JsonValueKind.Number => throw new ScoringException(
                    $"line {lineNumber}, field '{property.Name}': {value.GetRawText()} is not a finite number."),
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                JsonValueKind.Null => null,
                _ => throw new ScoringException(
                    $"line {lineNumber}, field '{property.Name}': must be a string, number, boolean or null; got {Describe(value.ValueKind)}."),
            };
            if (!fields.TryAdd(property.Name, converted))
            {
                throw new ScoringException($"line {lineNumber}, field '{property.Name}': appears more than once.");
            }
        }

        return fields;
    }

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };
}
