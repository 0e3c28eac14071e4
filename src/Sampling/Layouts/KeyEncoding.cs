using System.Runtime.CompilerServices;

namespace Biathlon.Sampling.Layouts;

/// <summary>
/// Encodes a key column's values as 64-bit integers so group keys of any type sort and compare the same way:
/// integers and timestamps as themselves, dictionary codes as themselves, doubles by their bits.
/// </summary>
internal static class KeyEncoding
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long FromDouble(double value)
    {
        // +0.0 and -0.0 are one key; every NaN is one key.
        if (value == 0)
        {
            return 0;
        }

        return double.IsNaN(value) ? BitConverter.DoubleToInt64Bits(double.NaN) : BitConverter.DoubleToInt64Bits(value);
    }
}
