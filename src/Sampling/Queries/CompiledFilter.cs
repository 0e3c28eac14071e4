using System.Runtime.CompilerServices;
using Biathlon.Sampling.Layouts;
using Biathlon.Sampling.Schema;

namespace Biathlon.Sampling.Queries;

/// <summary>A <see cref="ColumnFilter"/> resolved to a column ordinal and a constant of the column's storage type.</summary>
internal readonly struct CompiledFilter
{
    public CompiledFilter(int ordinal, ColumnType type, FilterOp op, double number, long integer)
    {
        Ordinal = ordinal;
        Type = type;
        Op = op;
        Number = number;
        Integer = integer;
    }

    public int Ordinal { get; }

    public ColumnType Type { get; }

    public FilterOp Op { get; }

    /// <summary>The constant for Double columns.</summary>
    public double Number { get; }

    /// <summary>The constant for Int64/Timestamp columns, or the dictionary code for String columns (-1: absent string).</summary>
    public long Integer { get; }

    /// <summary>Clears <paramref name="pass"/>[i] for rows of <paramref name="range"/> that fail the filter.</summary>
    public void Apply(LayoutPartition partition, RowRange range, Span<bool> pass)
    {
        switch (Type)
        {
            case ColumnType.Double:
            {
                var values = partition.Doubles(Ordinal).Slice(range.Start, range.Length);
                for (var i = 0; i < values.Length; i++)
                {
                    // NaN (null) fails every comparison, including NotEqual.
                    pass[i] &= !double.IsNaN(values[i]) && Compare(values[i].CompareTo(Number));
                }

                break;
            }

            case ColumnType.String:
            {
                var codes = partition.Codes(Ordinal).Slice(range.Start, range.Length);
                for (var i = 0; i < codes.Length; i++)
                {
                    pass[i] &= codes[i] >= 0 && Compare(codes[i] == Integer ? 0 : 1);
                }

                break;
            }

            default:
            {
                var values = partition.Int64s(Ordinal).Slice(range.Start, range.Length);
                for (var i = 0; i < values.Length; i++)
                {
                    pass[i] &= values[i] != long.MinValue && Compare(values[i].CompareTo(Integer));
                }

                break;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool Compare(int sign) => Op switch
    {
        FilterOp.Equal => sign == 0,
        FilterOp.NotEqual => sign != 0,
        FilterOp.Less => sign < 0,
        FilterOp.LessOrEqual => sign <= 0,
        FilterOp.Greater => sign > 0,
        _ => sign >= 0,
    };
}
