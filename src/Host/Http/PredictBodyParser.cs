using System.Text.Json;
using Biathlon.Host.Serving;

namespace Biathlon.Host.Http;

/// <summary>
/// Reads a predict body — <c>{"request": {...}, "delta": d, "tau": t, "deadlineMs": ms}</c>, or <c>"requests": [...]</c>
/// for a batch — into a <see cref="PredictBody"/>, refusing anything else with a <see cref="ServeException"/> that names
/// the field by its JSON path: malformed JSON, a missing or unknown property, a wrong type, a nested value where a
/// scalar belongs, a number that is not finite, an over-long string, an empty or over-large batch.
/// </summary>
internal static class PredictBodyParser
{
    private static readonly JsonDocumentOptions s_options = new() { MaxDepth = 8, CommentHandling = JsonCommentHandling.Disallow, AllowTrailingCommas = false };

    /// <summary>Parses <paramref name="utf8"/>; <paramref name="batch"/> expects <c>requests</c>, else <c>request</c>.</summary>
    public static PredictBody Parse(ReadOnlyMemory<byte> utf8, bool batch, int maxStringLength, int maxBatchSize) =>
        ParseDocument(utf8, root => Read(root, batch, maxStringLength, maxBatchSize));

    /// <summary>
    /// Parses a JSON body and hands its root to <paramref name="read"/>, which must copy out what it keeps (the
    /// document is disposed after it). Malformed JSON and text that is not a valid string are bad bodies.
    /// </summary>
    public static T ParseDocument<T>(ReadOnlyMemory<byte> utf8, Func<JsonElement, T> read)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8, s_options);
        }
        catch (JsonException e)
        {
            var where = e.LineNumber is { } line ? $" at line {line + 1}, byte {e.BytePositionInLine + 1}" : "";
            throw ServeException.BadBody($"The body is not valid JSON{where}.");
        }

        using (document)
        {
            try
            {
                return read(document.RootElement);
            }
            catch (InvalidOperationException)
            {
                // System.Text.Json parses such text but cannot turn it into a .NET string (a property name, say).
                throw ServeException.BadBody("The body holds a string that is not valid text: bytes that are not UTF-8, or an escaped lone surrogate.");
            }
        }
    }

    private static PredictBody Read(JsonElement root, bool batch, int maxStringLength, int maxBatchSize)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw ServeException.BadBody($"The body must be a JSON object; got {Describe(root.ValueKind)}.");
        }

        List<Dictionary<string, object?>>? requests = null;
        double? delta = null, tau = null, deadline = null;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var expected = batch ? "requests" : "request";
        foreach (var property in root.EnumerateObject())
        {
            if (!seen.Add(property.Name))
            {
                throw ServeException.BadField(Shorten(property.Name, 64), $"Property '{Shorten(property.Name, 64)}' appears more than once.");
            }

            switch (property.Name)
            {
                case "request" when !batch:
                    requests = [ReadRequest(property.Value, "request", maxStringLength)];
                    break;
                case "requests" when batch:
                    requests = ReadBatch(property.Value, maxStringLength, maxBatchSize);
                    break;
                case "delta":
                    delta = ReadNumber(property.Value, "delta");
                    break;
                case "tau":
                    tau = ReadNumber(property.Value, "tau");
                    break;
                case "deadlineMs":
                    deadline = ReadNumber(property.Value, "deadlineMs");
                    break;
                default:
                    throw ServeException.BadField(Shorten(property.Name, 64),
                        $"Unknown property '{Shorten(property.Name, 64)}'. Known: {expected}, delta, tau, deadlineMs.");
            }
        }

        if (requests is null)
        {
            throw ServeException.BadField(expected, $"Property '{expected}' is missing.");
        }

        return new PredictBody(requests, delta, tau, deadline);
    }

    private static List<Dictionary<string, object?>> ReadBatch(JsonElement element, int maxStringLength, int maxBatchSize)
    {
        if (element.ValueKind != JsonValueKind.Array)
        {
            throw ServeException.BadField("requests", $"'requests' must be an array of request objects; got {Describe(element.ValueKind)}.");
        }

        var count = element.GetArrayLength();
        if (count == 0 || count > maxBatchSize)
        {
            throw ServeException.BadField("requests", $"'requests' must hold 1 to {maxBatchSize} requests; it holds {count}.");
        }

        var requests = new List<Dictionary<string, object?>>(count);
        var index = 0;
        foreach (var item in element.EnumerateArray())
        {
            requests.Add(ReadRequest(item, $"requests[{index}]", maxStringLength));
            index++;
        }

        return requests;
    }

    private static Dictionary<string, object?> ReadRequest(JsonElement element, string path, int maxStringLength) =>
        ReadFields(element, path, maxStringLength, "request fields");

    /// <summary>
    /// A flat object of scalars (a request, a table row) as name → string, long, double, bool or null; anything else is
    /// refused naming <c>path.name</c>. <paramref name="what"/> says what the object holds, for the error message.
    /// </summary>
    internal static Dictionary<string, object?> ReadFields(JsonElement element, string path, int maxStringLength, string what)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw ServeException.BadField(path, $"'{path}' must be an object of {what}; got {Describe(element.ValueKind)}.");
        }

        var fields = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var property in element.EnumerateObject())
        {
            var field = $"{path}.{Shorten(property.Name, 64)}";
            if (property.Name.Length > maxStringLength)
            {
                throw ServeException.BadField(field, $"Field name is longer than {maxStringLength} characters.");
            }

            var value = property.Value;
            // Whole numbers stay long (boxed as such: a plain ternary with a double would turn them into doubles).
            object? converted = value.ValueKind switch
            {
                JsonValueKind.String => ReadString(value, field, maxStringLength),
                JsonValueKind.Number => value.TryGetInt64(out var whole) ? (object)whole : ReadNumber(value, field),
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                JsonValueKind.Null => null,
                _ => throw ServeException.BadField(field, $"'{field}' must be a string, number or boolean; got {Describe(value.ValueKind)}."),
            };
            if (!fields.TryAdd(property.Name, converted))
            {
                throw ServeException.BadField(field, $"'{field}' appears more than once.");
            }
        }

        return fields;
    }

    internal static string ReadString(JsonElement value, string field, int maxStringLength)
    {
        string text;
        try
        {
            text = value.GetString()!;
        }
        catch (InvalidOperationException)
        {
            throw ServeException.BadField(field, $"'{field}' is not valid text: bytes that are not UTF-8, or an escaped lone surrogate.");
        }

        if (text.Length > maxStringLength)
        {
            throw ServeException.BadField(field, $"'{field}' is longer than {maxStringLength} characters ({text.Length}).");
        }

        return text;
    }

    private static double ReadNumber(JsonElement value, string field)
    {
        if (value.ValueKind != JsonValueKind.Number)
        {
            throw ServeException.BadField(field, $"'{field}' must be a number; got {Describe(value.ValueKind)}.");
        }

        if (!value.TryGetDouble(out var number) || !double.IsFinite(number))
        {
            throw ServeException.BadField(field, $"'{field}' must be a finite number.");
        }

        return number;
    }

    internal static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };

    internal static string Shorten(string text, int length) => text.Length <= length ? text : string.Concat(text.AsSpan(0, length), "…");
}
