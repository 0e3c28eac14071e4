using System.Globalization;
using System.Text.Json;
using Biathlon.Engine.Runtime;
using Biathlon.Engine.Specs;
using Biathlon.Sampling.Numerics;

namespace Biathlon.Experiments.Baselines;

/// <summary>
/// A request's field values, parsed as the engine reads them (strings, integers, numbers, timestamps as microseconds),
/// and its request features. Reused from request to request.
/// </summary>
internal sealed class ClickHouseRequest
{
    private readonly PipelineDefinition _definition;
    private readonly int[] _inputFields;

    public ClickHouseRequest(PipelineDefinition definition)
    {
        _definition = definition;
        Integers = new long[definition.Request.Count];
        Numbers = new double[definition.Request.Count];
        Strings = new string?[definition.Request.Count];
        _inputFields = definition.Inputs.Select(i => i.Field is null ? -1 : FieldIndex(definition, i.Field)).ToArray();
    }

    /// <summary>Integer and timestamp (µs) fields, by request field index.</summary>
    public long[] Integers { get; }

    /// <summary>Number fields (integers and timestamps too, as doubles).</summary>
    public double[] Numbers { get; }

    /// <summary>String fields.</summary>
    public string?[] Strings { get; }

    /// <summary>Parses <paramref name="request"/>; throws <see cref="ArgumentException"/> naming a missing or mistyped field.</summary>
    public void Read(IReadOnlyDictionary<string, object?> request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var schema = _definition.Request;
        for (var i = 0; i < schema.Count; i++)
        {
            var field = schema[i];
            if (!request.TryGetValue(field.Name, out var raw) || raw is null)
            {
                throw new ArgumentException($"Request field '{field.Name}' ({field.Type}) is missing or null.", nameof(request));
            }

            switch (field.Type)
            {
                case RequestFieldType.String:
                    Strings[i] = raw switch
                    {
                        string s => s,
                        JsonElement { ValueKind: JsonValueKind.String } e => e.GetString(),
                        _ => throw WrongType(field, raw),
                    };
                    break;
                case RequestFieldType.Integer:
                    Integers[i] = RequestFieldValues.ToInteger(raw) ?? throw WrongType(field, raw);
                    Numbers[i] = Integers[i];
                    break;
                case RequestFieldType.Number:
                    Numbers[i] = RequestFieldValues.ToNumber(raw) ?? throw WrongType(field, raw);
                    break;
                default:
                    Integers[i] = RequestFieldValues.ToTimestamp(raw) ?? throw WrongType(field, raw);
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

    /// <summary>Model input <paramref name="input"/> when it is a request feature, as the engine computes it.</summary>
    public double Feature(int input)
    {
        var field = _inputFields[input];
        return RequestFieldValues.Transform(_definition.Inputs[input].Transform, Numbers[field], Integers[field]);
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

    private static ArgumentException WrongType(RequestFieldDefinition field, object raw) =>
        new($"Request field '{field.Name}' must be {field.Type}; got {raw.GetType().Name} '{Convert.ToString(raw, CultureInfo.InvariantCulture)}'.", "request");
}
