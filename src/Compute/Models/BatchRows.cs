using ILGPU;

namespace Biathlon.Compute.Models;

/// <summary>
/// The row layout of a batch of design blocks, shared by the model kernels. Blocks are stored one after another, each
/// column-major with its own row count: block b holds global rows <c>rowStart[b] .. rowStart[b+1]−1</c>, and its value
/// of width w occupies <c>rowStart[b]·w .. rowStart[b+1]·w−1</c>, column c of its local row r at
/// <c>rowStart[b]·w + c·rows_b + r</c>. One prefix-sum table per batch (blocks + 1 ints) replaces a per-row table.
/// </summary>
internal static class BatchRows
{
    /// <summary>
    /// The block that holds global row <paramref name="row"/>: the last b with <c>rowStart[b] ≤ row</c> (so empty
    /// blocks, whose start equals the next one's, are skipped). Binary search: a batch has few blocks.
    /// </summary>
    public static int BlockOf(ArrayView<int> rowStart, int blocks, int row)
    {
        var lo = 0;
        var hi = blocks - 1;
        while (lo < hi)
        {
            var mid = (lo + hi + 1) >> 1;
            if (rowStart[mid] <= row)
            {
                lo = mid;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return lo;
    }

    /// <summary>Checks a host-side prefix table: non-empty, starting at 0, non-decreasing; returns the total rows.</summary>
    public static int Validate(ReadOnlySpan<int> rowStart)
    {
        if (rowStart.Length < 2 || rowStart[0] != 0)
        {
            throw new ArgumentException("A batch needs at least one block and a row table starting at 0.", nameof(rowStart));
        }

        for (var b = 1; b < rowStart.Length; b++)
        {
            if (rowStart[b] < rowStart[b - 1])
            {
                throw new ArgumentException($"Block {b - 1} has a negative row count.", nameof(rowStart));
            }
        }

        return rowStart[^1];
    }
}
