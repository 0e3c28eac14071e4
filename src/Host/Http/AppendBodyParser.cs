using System.Text.Json;
using Biathlon.Host.Serving;

namespace Biathlon.Host.Http;

/// <summary>
/// Reads an append body — <c>{"batchId": "...", "rows": [{"column": value, ...}, ...]}</c> — refusing anything else
/// with a <see cref="ServeException"/> naming the field by its JSON path (<c>batchId</c>, <c>rows</c>,
/// <c>rows[3].delay</c>): malformed JSON, a missing, unknown or repeated property, a wrong type, a nested value where a
/// column value belongs, a number that is not finite, an over-long string. Whether a value fits its column is the
/// store's check (it names the row and column too).
/// </summary>
internal static class AppendBodyParser
{
    /// <summary>The longest batch id: the store's limit.</summary>
    public const int MaxBatchIdLength = 200;

    /// <summary>Parses <paramref name="utf8"/>.</summary>
    public static AppendBody Parse(ReadOnlyMemory<byte> utf8, int maxStringLength) =>
        PredictBodyParser.ParseDocument(utf8, root => Read(root, maxStringLength));

    private static AppendBody Read(JsonElement root, int maxStringLength)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw ServeException.BadBody($"The body must be a JSON object; got {PredictBodyParser.Describe(root.ValueKind)}.");
        }

        string? batchId = null;
        List<IReadOnlyDictionary<string, object?>>? rows = null;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in root.EnumerateObject())
        {
            var name = PredictBodyParser.Shorten(property.Name, 64);
            if (!seen.Add(property.Name))
            {
                throw ServeException.BadField(name, $"Property '{name}' appears more than once.");
            }

            switch (property.Name)
            {
                case "batchId":
                    batchId = ReadBatchId(property.Value);
                    break;
                case "rows":
                    rows = ReadRows(property.Value, maxStringLength);
                    break;
                default:
                    throw ServeException.BadField(name, $"Unknown property '{name}'. Known: batchId, rows.");
            }
        }

        if (batchId is null)
        {
            throw ServeException.BadField("batchId", "Property 'batchId' is missing: every append names its batch, so a retried batch is applied once.");
        }

        if (rows is null)
        {
            throw ServeException.BadField("rows", "Property 'rows' is missing.");
        }

        return new AppendBody(batchId, rows);
    }

    private static string ReadBatchId(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.String)
        {
            throw ServeException.BadField("batchId", $"'batchId' must be a string; got {PredictBodyParser.Describe(value.ValueKind)}.");
        }

        var id = PredictBodyParser.ReadString(value, "batchId", MaxBatchIdLength);
        if (string.IsNullOrWhiteSpace(id))
        {
            throw ServeException.BadField("batchId", "'batchId' must not be empty or blank.");
        }

        return id;
    }

    private static List<IReadOnlyDictionary<string, object?>> ReadRows(JsonElement value, int maxStringLength)
    {
        if (value.ValueKind != JsonValueKind.Array)
        {
            throw ServeException.BadField("rows", $"'rows' must be an array of row objects; got {PredictBodyParser.Describe(value.ValueKind)}.");
        }

        var count = value.GetArrayLength();
        if (count == 0)
        {
            throw ServeException.BadField("rows", "'rows' is empty: an append adds at least one row.");
        }

        var rows = new List<IReadOnlyDictionary<string, object?>>(count);
        var index = 0;
        foreach (var row in value.EnumerateArray())
        {
            rows.Add(PredictBodyParser.ReadFields(row, $"rows[{index}]", maxStringLength, "column values"));
            index++;
        }

        return rows;
    }
}

/// <summary>An append body: the caller's batch id and the rows, column name → value.</summary>
internal sealed record AppendBody(string BatchId, IReadOnlyList<IReadOnlyDictionary<string, object?>> Rows);
