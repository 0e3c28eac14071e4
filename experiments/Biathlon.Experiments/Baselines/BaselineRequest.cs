using System.Globalization;
using System.Text.Json;
using Biathlon.Engine;
using Biathlon.Engine.Runtime;
using Biathlon.Engine.Specs;
using Biathlon.Sampling.Numerics;
using Biathlon.Sampling.Schema;

namespace Biathlon.Experiments.Baselines;

/// <summary>
/// A request's field values as the SQL baselines bind them, read as the engine reads them: a missing, null or (integer
/// and number fields) NaN value takes the field's <see cref="RequestFieldDefinition.Fill"/>, and each value is converted
/// with the engine's <see cref="RequestFieldValues"/> (strings, integers, numbers, timestamps as microseconds). Request
/// features come from the engine's own helpers (<see cref="RequestFieldValues.Transform"/> and, for categorical inputs,
/// <see cref="RequestFieldValues.Encode"/>), and window bounds are computed without wrapping: an unbounded end has no
/// bound, and a request value that moves a bound outside the representable range is a <see cref="RequestException"/>
/// naming the field, as in the engine. Reused from request to request.
/// </summary>
/// <remarks>
/// The engine's own request reader is internal; the fill rule here is the documented one (docs/pipelines.md, "Request
/// values"), and the baseline spec tests compare every feature with the engine's exact features, missing values
/// included. What this reader does not check, the harness leaves to the engine: <c>MethodRunner</c> lets the engine's
/// exact path validate each request first (unknown keys under <c>unknownKeys: "error"</c>, timestamps outside
/// 0001 … 9999, unknown request fields) and serves a refused request with no method.
/// </remarks>
internal sealed class BaselineRequest
{
    private static readonly long s_minTimestamp = TimeValue.FromDateTime(DateTime.MinValue);
    private static readonly long s_maxTimestamp = TimeValue.FromDateTime(DateTime.MaxValue);

    private readonly PipelineDefinition _definition;
    private readonly int[] _inputFields;

    public BaselineRequest(PipelineDefinition definition)
    {
        _definition = definition;
        Integers = new long[definition.Request.Count];
        Numbers = new double[definition.Request.Count];
        Strings = new string?[definition.Request.Count];
        _inputFields = definition.Inputs.Select(i => i.Field is null ? -1 : FieldIndex(definition, i.Field)).ToArray();
        DeltaField = definition.Bound.DeltaField is { } delta ? FieldIndex(definition, delta) : -1;
    }

    /// <summary>Integer and timestamp (µs) fields, by request field index.</summary>
    public long[] Integers { get; }

    /// <summary>Number fields (integers and timestamps too, as doubles).</summary>
    public double[] Numbers { get; }

    /// <summary>String fields.</summary>
    public string?[] Strings { get; }

    /// <summary>The index of the request field holding each request's δ (<c>bound.deltaField</c>), or −1.</summary>
    public int DeltaField { get; }

    /// <summary>
    /// Parses <paramref name="request"/>, taking each field's fill for a missing, null or NaN value; throws
    /// <see cref="RequestException"/> naming a field that is missing without a fill or holds a value of the wrong type.
    /// </summary>
    public void Read(IReadOnlyDictionary<string, object?> request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var schema = _definition.Request;
        for (var i = 0; i < schema.Count; i++)
        {
            var field = schema[i];
            var present = request.TryGetValue(field.Name, out var raw);
            var isNull = raw is null || raw is JsonElement { ValueKind: JsonValueKind.Null };
            if (!present || isNull || (field.Type is RequestFieldType.Number or RequestFieldType.Integer && IsNaN(raw!)))
            {
                raw = field.Fill ?? throw new RequestException(field.Name,
                    $"Request field '{field.Name}' ({field.Type}) is {(!present ? "missing" : isNull ? "null" : "NaN")}, and the field has no fill.");
            }

            switch (field.Type)
            {
                case RequestFieldType.String:
                    Strings[i] = raw switch
                    {
                        string s => s,
                        JsonElement { ValueKind: JsonValueKind.String } e => e.GetString(),
                        _ => throw WrongType(field, raw!),
                    };
                    break;
                case RequestFieldType.Integer:
                    Integers[i] = RequestFieldValues.ToInteger(raw!) ?? throw WrongType(field, raw!);
                    Numbers[i] = Integers[i];
                    break;
                case RequestFieldType.Number:
                    Numbers[i] = RequestFieldValues.ToNumber(raw!) ?? throw WrongType(field, raw!);
                    if (!double.IsFinite(Numbers[i]))
                    {
                        throw new RequestException(field.Name, $"Request field '{field.Name}' must be a finite number.");
                    }

                    break;
                default:
                    Integers[i] = RequestFieldValues.ToTimestamp(raw!) ?? throw WrongType(field, raw!);
                    Numbers[i] = Integers[i];
                    break;
            }
        }
    }

    /// <summary>
    /// A digest of the parsed field values mixed with <paramref name="seed"/>: the same request gets the same seed, different
    /// requests unrelated ones (FNV-1a over the values' bits and characters, then SplitMix64).
    /// </summary>
    public ulong Digest(ulong seed)
    {
        var hash = 14695981039346656037UL;
        void Add(ulong value)
        {
            for (var b = 0; b < 8; b++)
            {
                hash = (hash ^ ((value >> (8 * b)) & 0xFF)) * 1099511628211UL;
            }
        }

        for (var i = 0; i < Integers.Length; i++)
        {
            Add((ulong)Integers[i]);
            Add((ulong)BitConverter.DoubleToInt64Bits(Numbers[i]));
            foreach (var ch in Strings[i] ?? "")
            {
                Add(ch);
            }
        }

        return SplitMix64.Hash(seed, hash);
    }

    /// <summary>
    /// Model input <paramref name="input"/> when it is a request feature, as the engine computes it: a categorical
    /// input (code, one slot of a one-hot) through <see cref="RequestFieldValues.Encode"/>, which throws
    /// <see cref="RequestException"/> for a value outside the categories under <c>unknown: "error"</c>.
    /// </summary>
    public double Feature(int input)
    {
        var definition = _definition.Inputs[input];
        var field = _inputFields[input];
        return definition.Categories is not null
            ? RequestFieldValues.Encode(definition, Strings[field]!)
            : RequestFieldValues.Transform(definition.Transform, Numbers[field], Integers[field]);
    }

    /// <summary>
    /// The window of <paramref name="query"/> for this request, <c>[From, To)</c> in the time column's unit; null for
    /// an unbounded end (no condition). Throws <see cref="RequestException"/> naming the window field when the
    /// request's time plus an offset wraps Int64 or, for a timestamp field, leaves 0001-01-01 … 9999-12-31.
    /// </summary>
    public (long? From, long? To) Window(QueryDefinition query)
    {
        ArgumentNullException.ThrowIfNull(query);
        var name = query.WindowField ?? throw new InvalidOperationException($"Query '{query.Name}' has no window.");
        var field = FieldIndex(_definition, name);
        var time = Integers[field];
        var timestamp = _definition.Request[field].Type == RequestFieldType.Timestamp;
        long? from = query.WindowFrom == long.MinValue ? null : Bound(query, time, query.WindowFrom, timestamp, "start");
        long? to = query.WindowTo == long.MaxValue ? null : Bound(query, time, query.WindowTo, timestamp, "end");
        return (from, to);
    }

    /// <summary>The index of request field <paramref name="name"/>; throws naming the pipeline when absent.</summary>
    public static int FieldIndex(PipelineDefinition definition, string name)
    {
        for (var i = 0; i < definition.Request.Count; i++)
        {
            if (definition.Request[i].Name == name)
            {
                return i;
            }
        }

        throw new InvalidOperationException($"Pipeline '{definition.Name}' has no request field '{name}'.");
    }

    private static long Bound(QueryDefinition query, long time, long offset, bool timestamp, string end)
    {
        long sum;
        try
        {
            sum = checked(time + offset);
            if (!timestamp || (sum >= s_minTimestamp && sum <= s_maxTimestamp))
            {
                return sum;
            }
        }
        catch (OverflowException)
        {
        }

        var field = query.WindowField!;
        var value = timestamp ? TimeValue.ToDateTime(Math.Clamp(time, s_minTimestamp, s_maxTimestamp)).ToString("O", CultureInfo.InvariantCulture)
            : time.ToString(CultureInfo.InvariantCulture);
        var range = timestamp ? "the timestamps a DateTime holds (0001-01-01 to 9999-12-31)" : "the Int64 range";
        throw new RequestException(field,
            $"Request field '{field}' = {value} moves the {end} of query '{query.Name}''s window (offset {offset.ToString(CultureInfo.InvariantCulture)}) outside {range}.");
    }

    private static bool IsNaN(object raw) => raw switch
    {
        double d => double.IsNaN(d),
        float f => float.IsNaN(f),
        _ => false,
    };

    private static RequestException WrongType(RequestFieldDefinition field, object raw) =>
        new(field.Name, $"Request field '{field.Name}' must be {field.Type}; got {raw.GetType().Name} '{Convert.ToString(raw, CultureInfo.InvariantCulture)}'.");
}
