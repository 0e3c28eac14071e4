namespace Biathlon.Testing;

/// <summary>Rows laid out as the engine's models take them: column-major [D, N] (feature j of row r at j·N + r).</summary>
public static class ColumnMajor
{
    /// <summary>The column-major copy of <paramref name="rows"/> (all of one width).</summary>
    public static float[] From(float[][] rows)
    {
        var width = rows[0].Length;
        var columns = new float[rows.Length * width];
        for (var r = 0; r < rows.Length; r++)
        {
            for (var j = 0; j < width; j++)
            {
                columns[j * rows.Length + r] = rows[r][j];
            }
        }

        return columns;
    }
}
