using System.Globalization;
using Biathlon.Engine.Specs;

namespace Biathlon.Engine.Runtime;

/// <summary>
/// The model inputs a request gives by itself (field values, calendar parts of timestamps, categorical codes and
/// one-hot columns) and its δ when the pipeline takes δ per request: computed once per request, right after parsing,
/// so every round (and every QMC point) only copies them. Built at load; immutable and thread-safe.
/// </summary>
internal sealed class RequestInputs
{
    private readonly int[] _inputs;
    private readonly int[] _fields;
    private readonly RequestTransform[] _transforms;
    private readonly int[] _encoders;
    private readonly int[] _categories;
    private readonly CategoryEncoder[] _encoderList;
    private readonly int _deltaField = -1;
    private readonly string? _deltaFieldName;

    public RequestInputs(PipelineDefinition definition)
    {
        var inputs = new List<int>();
        var encoders = new List<CategoryEncoder>();
        var owners = new List<InputDefinition>();
        for (var i = 0; i < definition.Inputs.Count; i++)
        {
            if (definition.Inputs[i].Field is not null)
            {
                inputs.Add(i);
            }
        }

        _inputs = inputs.ToArray();
        _fields = new int[_inputs.Length];
        _transforms = new RequestTransform[_inputs.Length];
        _encoders = new int[_inputs.Length];
        _categories = new int[_inputs.Length];
        for (var k = 0; k < _inputs.Length; k++)
        {
            var input = definition.Inputs[_inputs[k]];
            _fields[k] = IndexOf(definition.Request, input.Field!);
            _transforms[k] = input.Transform;
            _categories[k] = input.Category;
            _encoders[k] = -1;
            if (input.Categories is { } categories)
            {
                // The inputs of one one-hot feature share its categories (and so one lookup per request).
                var e = owners.FindIndex(o => ReferenceEquals(o.Categories, categories) && o.Field == input.Field && o.Unknown == input.Unknown);
                if (e < 0)
                {
                    e = encoders.Count;
                    owners.Add(input);
                    encoders.Add(new CategoryEncoder(input, _fields[k]));
                }

                _encoders[k] = e;
            }
        }

        _encoderList = encoders.ToArray();
        if (definition.Bound.DeltaField is { } deltaField)
        {
            _deltaField = IndexOf(definition.Request, deltaField);
            _deltaFieldName = deltaField;
        }
    }

    /// <summary>Categorical features (one code each per request).</summary>
    public int Categoricals => _encoderList.Length;

    /// <summary>The request field holding each request's δ; −1 when δ is the pipeline's.</summary>
    public int DeltaField => _deltaField;

    /// <summary>
    /// Writes the value of every request input into <paramref name="inputs"/> (indexed like the model inputs; aggregate
    /// inputs untouched), using <paramref name="codes"/> (<see cref="Categoricals"/> long) as scratch, and checks the
    /// request's δ. Throws <see cref="RequestException"/> for a value outside a feature's categories (unknown "error")
    /// and for a δ that is not above 0.
    /// </summary>
    public void Compute(RequestValues request, Span<double> inputs, Span<int> codes)
    {
        for (var e = 0; e < _encoderList.Length; e++)
        {
            var encoder = _encoderList[e];
            codes[e] = encoder.Encode(request.Strings[encoder.Field]!);
        }

        for (var k = 0; k < _inputs.Length; k++)
        {
            var field = _fields[k];
            inputs[_inputs[k]] = _transforms[k] switch
            {
                RequestTransform.Code => codes[_encoders[k]],
                RequestTransform.OneHot => codes[_encoders[k]] == _categories[k] ? 1 : 0,
                var transform => RequestFieldValues.Transform(transform, request.Numbers[field], request.Integers[field]),
            };
        }

        if (_deltaField >= 0 && !(request.Numbers[_deltaField] > 0))
        {
            throw new RequestException(_deltaFieldName!,
                $"Request field '{_deltaFieldName}' is this request's δ (bound.deltaField) and must be above 0; got {request.Numbers[_deltaField].ToString(CultureInfo.InvariantCulture)}.");
        }
    }

    private static int IndexOf(IReadOnlyList<RequestFieldDefinition> request, string name)
    {
        for (var i = 0; i < request.Count; i++)
        {
            if (request[i].Name == name)
            {
                return i;
            }
        }

        throw new InvalidOperationException($"Request field '{name}' was validated but is missing.");
    }

    /// <summary>One categorical feature's lookup: a string's index among the categories, by one dictionary probe.</summary>
    private sealed class CategoryEncoder
    {
        private readonly Dictionary<string, int> _codes = new(StringComparer.Ordinal);
        private readonly InputDefinition _input;

        public CategoryEncoder(InputDefinition input, int field)
        {
            _input = input;
            Field = field;
            for (var c = 0; c < input.Categories!.Count; c++)
            {
                _codes.Add(input.Categories[c], c);
            }
        }

        /// <summary>The string field's index in the request.</summary>
        public int Field { get; }

        public int Encode(string value) =>
            _codes.TryGetValue(value, out var code) ? code
            : _input.Unknown == UnknownCategory.Other ? _input.Categories!.Count
            : throw RequestFieldValues.UnknownCategoryError(_input, value);
    }
}
