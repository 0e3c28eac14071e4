using Biathlon.Sampling.Schema;

namespace Biathlon.Sampling.Ingest;

/// <summary>One ingested column in source row order, with nulls already mapped to the type's sentinel.</summary>
internal abstract class RawColumn(string name)
{
    /// <summary>The value stored for null in <see cref="ColumnType.Int64"/> and <see cref="ColumnType.Timestamp"/> columns.</summary>
    public const long NullInteger = long.MinValue;

    /// <summary>The code stored for null in <see cref="ColumnType.String"/> columns.</summary>
    public const int NullCode = -1;

    public string Name { get; } = name;

    public abstract ColumnType Type { get; }

    public abstract int Count { get; }

    /// <summary>Number of null entries.</summary>
    public abstract int NullCount();
}

internal sealed class DoubleColumn(string name) : RawColumn(name)
{
    public GrowableArray<double> Values { get; } = new();

    public override ColumnType Type => ColumnType.Double;

    public override int Count => Values.Count;

    public override int NullCount()
    {
        var n = 0;
        foreach (var v in Values.AsSpan())
        {
            if (double.IsNaN(v))
            {
                n++;
            }
        }

        return n;
    }
}

internal sealed class Int64Column(string name, ColumnType type) : RawColumn(name)
{
    public GrowableArray<long> Values { get; } = new();

    public override ColumnType Type { get; } = type;

    public override int Count => Values.Count;

    public override int NullCount() => Values.AsSpan().Count(NullInteger);

    /// <summary>The same values as doubles; used when a CSV column that looked integral turns out not to be.</summary>
    public DoubleColumn ToDoubleColumn()
    {
        var result = new DoubleColumn(Name);
        var source = Values.AsSpan();
        var target = result.Values.AppendSpan(source.Length);
        for (var i = 0; i < source.Length; i++)
        {
            target[i] = source[i] == NullInteger ? double.NaN : source[i];
        }

        return result;
    }
}

internal sealed class StringColumn(string name) : RawColumn(name)
{
    public GrowableArray<int> Codes { get; } = new();

    public StringDictionary Dictionary { get; } = new();

    public override ColumnType Type => ColumnType.String;

    public override int Count => Codes.Count;

    public override int NullCount() => Codes.AsSpan().Count(NullCode);

    public void Add(string? value) => Codes.Add(value is null ? NullCode : Dictionary.GetOrAdd(value));
}
