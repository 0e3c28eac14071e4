using System.Runtime.InteropServices;

namespace Biathlon.Compute.Aggregates;

/// <summary>
/// A job as the aggregate kernels see it: absolute positions in the device column buffer instead of
/// layout, partition and ordinal.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal struct DeviceJob
{
    /// <summary>First row of the (x) column's range in the column buffer.</summary>
    public long X;

    /// <summary>First row of the y column's range (co-moments only).</summary>
    public long Y;

    /// <summary>Start of the job's sort scratch segment (sorts only).</summary>
    public long Scratch;

    /// <summary>Rows in the range.</summary>
    public int Length;

    /// <summary>The sort scratch segment's length: the power of two at or above <see cref="Length"/> (sorts only).</summary>
    public int Padded;

    /// <summary>Where the job's output starts: its result record (moments, co-moments) or its value slot (sorts).</summary>
    public long Output;
}
