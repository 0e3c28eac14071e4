using Biathlon.Sampling.Layouts;
using Biathlon.Sampling.Queries;

namespace Biathlon.Sampling.Aggregates.Offload;

/// <summary>
/// One unit of a widening that a compute backend may run: a reduction of one column (or a column pair) over one row
/// range of one partition of a layout. Column values are read as doubles the way the cursor reads them: Int64 and
/// Timestamp converted, their null <see cref="long.MinValue"/> as NaN; string dictionary codes as numbers, code &lt; 0
/// as NaN; NaN is a null everywhere. Jobs of many cursors, requests and tables may be run in one batch.
/// </summary>
/// <param name="Layout">The layout whose partition is read.</param>
/// <param name="Partition">Partition index in [0, P]; P is the census stratum.</param>
/// <param name="Ordinal">The column's ordinal in the table schema (x for a co-moment).</param>
/// <param name="PairedOrdinal">The second column (y) of a <see cref="ColumnJobKind.CoMoments"/> job; −1 otherwise.</param>
/// <param name="Range">The rows of the partition to reduce.</param>
/// <param name="Kind">What to compute.</param>
internal readonly record struct ColumnRangeJob(
    Layout Layout, int Partition, int Ordinal, int PairedOrdinal, RowRange Range, ColumnJobKind Kind);
