using System.Globalization;
using System.Text.Json;
using Biathlon.Engine.Specs;
using Biathlon.Sampling.Numerics;
using Biathlon.Sampling.Schema;

namespace Biathlon.Engine.Runtime;

/// <summary>
/// A request parsed against the pipeline's request schema: one typed value per field, by field index. An instance is
/// reusable: <see cref="Read"/> overwrites it, so a pooled request context parses every request without allocating.
/// Public so that an embedder (the harness's SQL baselines) reads requests exactly as the engine does: fills, types,
/// refusals and the digest that seeds a request's samples.
/// </summary>
public sealed class RequestValues
{
    /// <summary>The earliest timestamp a request may hold: <see cref="DateTime.MinValue"/>, in microseconds since 1970.</summary>
    public static readonly long MinTimestamp = TimeValue.FromDateTime(DateTime.MinValue);

    /// <summary>The latest timestamp a request may hold: <see cref="DateTime.MaxValue"/>, in microseconds since 1970.</summary>
    public static readonly long MaxTimestamp = TimeValue.FromDateTime(DateTime.MaxValue);

    private readonly IReadOnlyList<RequestFieldDefinition> _schema;

    /// <summary>An empty instance for <paramref name="schema"/> (a pipeline's <c>request[]</c> fields).</summary>
    public RequestValues(IReadOnlyList<RequestFieldDefinition> schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        _schema = schema;
        Integers = new long[schema.Count];
        Numbers = new double[schema.Count];
        Strings = new string?[schema.Count];
    }

    /// <summary>Integer and timestamp (µs) fields.</summary>
    public long[] Integers { get; }

    /// <summary>Number fields (and integers and timestamps as doubles, for model inputs).</summary>
    public double[] Numbers { get; }

    /// <summary>String fields.</summary>
    public string?[] Strings { get; }

    /// <summary>Checks and converts <paramref name="request"/> into a new instance; throws <see cref="RequestException"/> naming the first bad field.</summary>
    public static RequestValues Parse(IReadOnlyDictionary<string, object?> request, IReadOnlyList<RequestFieldDefinition> schema) =>
        new RequestValues(schema).Read(request);

    /// <summary>Checks and converts <paramref name="request"/> into this instance; throws <see cref="RequestException"/> naming the first bad field.</summary>
    public RequestValues Read(IReadOnlyDictionary<string, object?> request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var schema = _schema;
        if (request is Dictionary<string, object?> dictionary)
        {
            // The concrete type's key enumerator is a struct: the common case checks its keys without allocating.
            foreach (var key in dictionary.Keys)
            {
                CheckKnown(key);
            }
        }
        else
        {
            foreach (var key in request.Keys)
            {
                CheckKnown(key);
            }
        }

        var values = this;
        for (var i = 0; i < schema.Count; i++)
        {
            var field = schema[i];
            var present = request.TryGetValue(field.Name, out var raw);
            if (!present || raw is null || raw is JsonElement { ValueKind: JsonValueKind.Null }
                || (field.Type is RequestFieldType.Number or RequestFieldType.Integer && IsNaN(raw)))
            {
                // A missing, null or NaN value takes the field's fill; without one it is refused (NaN below, by type).
                if (field.Fill is { } fill)
                {
                    raw = fill;
                }
                else if (!present)
                {
                    throw new RequestException(field.Name, $"Request field '{field.Name}' ({field.Type}) is missing, and the field has no fill.");
                }
                else if (raw is null || raw is JsonElement { ValueKind: JsonValueKind.Null })
                {
                    throw new RequestException(field.Name, $"Request field '{field.Name}' ({field.Type}) is null, and the field has no fill.");
                }
            }

            switch (field.Type)
            {
                case RequestFieldType.String:
                    values.Strings[i] = raw switch
                    {
                        string s => s,
                        JsonElement { ValueKind: JsonValueKind.String } e => e.GetString(),
                        _ => throw WrongType(field, raw),
                    };
                    break;
                case RequestFieldType.Integer:
                    values.Integers[i] = RequestFieldValues.ToInteger(raw) ?? throw WrongType(field, raw);
                    values.Numbers[i] = values.Integers[i];
                    break;
                case RequestFieldType.Number:
                    values.Numbers[i] = RequestFieldValues.ToNumber(raw) ?? throw WrongType(field, raw);
                    if (!double.IsFinite(values.Numbers[i]))
                    {
                        throw new RequestException(field.Name, $"Request field '{field.Name}' must be a finite number.");
                    }

                    break;
                default:
                    values.Integers[i] = RequestFieldValues.ToTimestamp(raw) ?? throw WrongType(field, raw);
                    if (values.Integers[i] < MinTimestamp || values.Integers[i] > MaxTimestamp)
                    {
                        throw new RequestException(field.Name,
                            $"Request field '{field.Name}' ({Convert.ToString(raw is JsonElement e ? e.GetRawText() : raw, CultureInfo.InvariantCulture)}) is outside the timestamps a DateTime holds (0001-01-01 to 9999-12-31).");
                    }

                    values.Numbers[i] = values.Integers[i];
                    break;
            }
        }

        return values;
    }

    private static bool IsNaN(object raw) => raw switch
    {
        double d => double.IsNaN(d),
        float f => float.IsNaN(f),
        _ => false,
    };

    /// <summary>
    /// A 64-bit digest of the typed field values, mixed with <paramref name="seed"/>: the same request (whatever CLR or
    /// JSON types carried it, in whatever key order) gives the same digest, so its sample and design replay; different
    /// requests get unrelated digests, so their samples are independent.
    /// </summary>
    public ulong Digest(ulong seed)
    {
        var h = SplitMix64.Hash(seed, (ulong)Integers.Length);
        for (var i = 0; i < Integers.Length; i++)
        {
            if (Strings[i] is { } text)
            {
                h = SplitMix64.Hash(h, (ulong)text.Length);
                foreach (var c in text)
                {
                    h = SplitMix64.Hash(h, c);
                }
            }
            else
            {
                // Integers and timestamps hash their exact value; numbers their bits (−0 as 0).
                var number = Numbers[i] == 0 ? 0 : Numbers[i];
                h = SplitMix64.Hash(h, (ulong)Integers[i]);
                h = SplitMix64.Hash(h, (ulong)BitConverter.DoubleToInt64Bits(number));
            }
        }

        return h;
    }

    private void CheckKnown(string key)
    {
        for (var i = 0; i < _schema.Count; i++)
        {
            if (_schema[i].Name == key)
            {
                return;
            }
        }

        throw new RequestException(key, $"Unknown request field '{key}'. Fields: {string.Join(", ", _schema.Select(f => f.Name))}.");
    }

    private static RequestException WrongType(RequestFieldDefinition field, object raw)
    {
        var shown = raw is JsonElement e ? $"{e.ValueKind} {e.GetRawText()}" : $"{raw.GetType().Name} '{Convert.ToString(raw, CultureInfo.InvariantCulture)}'";
        return new RequestException(field.Name, $"Request field '{field.Name}' must be {Describe(field.Type)}; got {shown}.");
    }

    private static string Describe(RequestFieldType type) => type switch
    {
        RequestFieldType.String => "a string",
        RequestFieldType.Integer => "an integer",
        RequestFieldType.Number => "a number",
        _ => "a timestamp (ISO 8601 text, DateTime, or microseconds since 1970)",
    };
}
