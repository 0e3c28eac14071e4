using System.Globalization;
using Biathlon.Engine;
using Biathlon.Engine.Runtime;
using Biathlon.Engine.Specs;
using Biathlon.Sampling.Schema;

namespace Biathlon.Experiments.Baselines;

/// <summary>
/// A request's field values as the SQL baselines bind them, read by the engine's own <see cref="RequestValues"/>: a
/// missing, null or (integer and number fields) NaN value takes the field's <see cref="RequestFieldDefinition.Fill"/>,
/// and each value is checked and converted as the engine does (strings, integers, numbers, timestamps as microseconds). Request
/// features come from the engine's own helpers (<see cref="RequestFieldValues.Transform"/> and, for categorical inputs,
/// <see cref="RequestFieldValues.Encode"/>), and window bounds are computed without wrapping: an unbounded end has no
/// bound, and a request value that moves a bound outside the representable range is a <see cref="RequestException"/>
/// naming the field, as in the engine. Reused from request to request.
/// </summary>
/// <remarks>
/// The baseline spec tests compare every feature with the engine's exact features, missing values included. What this
/// reader does not check, the harness leaves to the engine: <c>MethodRunner</c> lets the engine's
/// exact path validate each request first (unknown keys under <c>unknownKeys: "error"</c>) and serves a refused request with no method.
/// </remarks>
internal sealed class BaselineRequest
{
    private readonly PipelineDefinition _definition;
    private readonly RequestValues _values;
    private readonly int[] _inputFields;

    public BaselineRequest(PipelineDefinition definition)
    {
        _definition = definition;
        _values = new RequestValues(definition.Request);
        _inputFields = definition.Inputs.Select(i => i.Field is null ? -1 : FieldIndex(definition, i.Field)).ToArray();
        DeltaField = definition.Bound.DeltaField is { } delta ? FieldIndex(definition, delta) : -1;
    }

    /// <summary>Integer and timestamp (µs) fields, by request field index.</summary>
    public long[] Integers => _values.Integers;

    /// <summary>Number fields (integers and timestamps too, as doubles).</summary>
    public double[] Numbers => _values.Numbers;

    /// <summary>String fields.</summary>
    public string?[] Strings => _values.Strings;

    /// <summary>The index of the request field holding each request's δ (<c>bound.deltaField</c>), or −1.</summary>
    public int DeltaField { get; }

    /// <summary>
    /// Parses <paramref name="request"/> with the engine's own reader (<see cref="RequestValues.Read"/>): fills for missing,
    /// null or NaN values, type checks, and a <see cref="RequestException"/> naming a field the engine refuses.
    /// </summary>
    public void Read(IReadOnlyDictionary<string, object?> request) => _values.Read(request);

    /// <summary>The engine's digest of the parsed values mixed with <paramref name="seed"/> (<see cref="RequestValues.Digest"/>).</summary>
    public ulong Digest(ulong seed) => _values.Digest(seed);

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
            if (!timestamp || (sum >= RequestValues.MinTimestamp && sum <= RequestValues.MaxTimestamp))
            {
                return sum;
            }
        }
        catch (OverflowException)
        {
        }

        var field = query.WindowField!;
        var value = timestamp ? TimeValue.ToDateTime(Math.Clamp(time, RequestValues.MinTimestamp, RequestValues.MaxTimestamp)).ToString("O", CultureInfo.InvariantCulture)
            : time.ToString(CultureInfo.InvariantCulture);
        var range = timestamp ? "the timestamps a DateTime holds (0001-01-01 to 9999-12-31)" : "the Int64 range";
        throw new RequestException(field,
            $"Request field '{field}' = {value} moves the {end} of query '{query.Name}''s window (offset {offset.ToString(CultureInfo.InvariantCulture)}) outside {range}.");
    }
}
