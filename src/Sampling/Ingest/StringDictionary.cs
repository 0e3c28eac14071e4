namespace Biathlon.Sampling.Ingest;

/// <summary>Maps the distinct strings of a column to dense 32-bit codes, in order of first appearance.</summary>
internal sealed class StringDictionary
{
    private readonly Dictionary<string, int> _codes = new(StringComparer.Ordinal);
    private readonly List<string> _values = [];

    /// <summary>Number of distinct strings.</summary>
    public int Count => _values.Count;

    /// <summary>The string with code <paramref name="code"/>.</summary>
    public string this[int code] => _values[code];

    /// <summary>All strings, indexed by code.</summary>
    public IReadOnlyList<string> Values => _values;

    /// <summary>The code of <paramref name="value"/>, adding it when new.</summary>
    public int GetOrAdd(string value)
    {
        if (_codes.TryGetValue(value, out var code))
        {
            return code;
        }

        code = _values.Count;
        _codes.Add(value, code);
        _values.Add(value);
        return code;
    }

    /// <summary>The code of <paramref name="value"/>, or -1 when the column never holds it.</summary>
    public int Find(string value) => _codes.TryGetValue(value, out var code) ? code : -1;

    /// <summary>The code of <paramref name="value"/>, or -1 when the column never holds it (no string is allocated).</summary>
    public int Find(ReadOnlySpan<char> value) =>
        _codes.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(value, out var code) ? code : -1;

    internal int GetOrAdd(ReadOnlySpan<char> value)
    {
        var lookup = _codes.GetAlternateLookup<ReadOnlySpan<char>>();
        if (lookup.TryGetValue(value, out var code))
        {
            return code;
        }

        return GetOrAdd(value.ToString());
    }
}
