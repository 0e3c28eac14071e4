using System.Buffers.Text;
using System.Globalization;
using System.Text.Json;
using Biathlon.Experiments.Pipelines;

namespace Biathlon.Experiments.Load;

/// <summary>One answer of the probe request, as far as the S1 stability check needs it.</summary>
/// <param name="Value">The prediction.</param>
/// <param name="Queries">Each query's name and first-order Sobol index <c>s1</c> (NaN when the server wrote "NaN").</param>
/// <param name="DependsOnMeasuredCosts">Whether the engine says the answer depended on costs it measured.</param>
/// <param name="StopReason">Why the engine stopped.</param>
/// <param name="Plan">The final plan in words: each query's fraction and why it was read exactly, and the rounds.</param>
public sealed record ProbeAnswer(double Value, IReadOnlyList<(string Name, double S1)> Queries, bool DependsOnMeasuredCosts, string StopReason, string Plan);

/// <summary>Request bodies the clients send, and the few fields of response bodies the load test reads.</summary>
public static class PredictionBodies
{
    private static readonly byte[] s_totalMs = "\"totalMs\":"u8.ToArray();

    /// <summary><c>{"request": {...}}</c> in UTF-8: strings, integers, numbers, booleans, nulls and timestamps (ISO 8601).</summary>
    public static byte[] RequestBody(HarnessRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteStartObject("request");
            foreach (var (name, value) in request.Fields)
            {
                switch (value)
                {
                    case null:
                        writer.WriteNull(name);
                        break;
                    case string s:
                        writer.WriteString(name, s);
                        break;
                    case bool b:
                        writer.WriteBoolean(name, b);
                        break;
                    case long l:
                        writer.WriteNumber(name, l);
                        break;
                    case int n:
                        writer.WriteNumber(name, n);
                        break;
                    case double d:
                        writer.WriteNumber(name, d);
                        break;
                    case float f:
                        writer.WriteNumber(name, f);
                        break;
                    case DateTime t:
                        writer.WriteString(name, t.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture));
                        break;
                    default:
                        throw new InvalidOperationException($"Request field '{name}' holds a {value.GetType().Name}, which the load test cannot write as JSON.");
                }
            }

            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>
    /// The engine's own time, <c>timings.totalMs</c>, from a prediction's body; NaN when it holds none. The server writes
    /// compact JSON with <c>timings</c> last, so the last <c>"totalMs":</c> is read directly (the full JSON reader is the
    /// fallback): the client shares the machine's cores with the server, and should take as little of them as it can.
    /// </summary>
    public static double TotalMs(ReadOnlySpan<byte> json)
    {
        var at = json.LastIndexOf(s_totalMs);
        if (at >= 0 && Utf8Parser.TryParse(json[(at + s_totalMs.Length)..], out double fast, out _))
        {
            return fast;
        }

        try
        {
            var reader = new Utf8JsonReader(json);
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.PropertyName && reader.ValueTextEquals("totalMs"u8) && reader.Read() && reader.TokenType == JsonTokenType.Number)
                {
                    return reader.GetDouble();
                }
            }
        }
        catch (JsonException)
        {
        }

        return double.NaN;
    }

    /// <summary>The value, per-query <c>s1</c>, measured-costs flag and stop reason of a prediction's body.</summary>
    public static ProbeAnswer Probe(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        using var document = JsonDocument.ParseValue(ref reader);
        var root = document.RootElement;
        var queries = new List<(string, double)>();
        var plan = new List<string>();
        foreach (var query in root.GetProperty("queries").EnumerateArray())
        {
            var name = query.GetProperty("name").GetString() ?? "";
            queries.Add((name, Number(query.GetProperty("s1"))));
            var fraction = Number(query.GetProperty("fraction")).ToString("R", CultureInfo.InvariantCulture);
            plan.Add(query.TryGetProperty("exactReason", out var reason) && reason.GetString() is { } why && why != "None" ? $"{name} {fraction} ({why})" : $"{name} {fraction}");
        }

        if (root.TryGetProperty("rounds", out var rounds))
        {
            plan.Add($"rounds {rounds.GetRawText()}");
        }

        return new ProbeAnswer(
            Number(root.GetProperty("value")), queries,
            root.TryGetProperty("dependsOnMeasuredCosts", out var depends) && depends.ValueKind == JsonValueKind.True,
            root.TryGetProperty("stopReason", out var stop) ? stop.GetString() ?? "" : "",
            string.Join(", ", plan));
    }

    /// <summary>A number, or one of the strings the server writes for non-finite numbers ("NaN", "Infinity").</summary>
    private static double Number(JsonElement element) =>
        element.ValueKind == JsonValueKind.Number ? element.GetDouble()
        : element.ValueKind == JsonValueKind.String && double.TryParse(element.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d
        : double.NaN;
}
