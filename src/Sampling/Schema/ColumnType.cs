namespace Biathlon.Sampling.Schema;

/// <summary>
/// How a column is stored. Source types map onto these at ingest: every integer and boolean type becomes
/// <see cref="Int64"/>, every floating or decimal type <see cref="Double"/>, every date and time type
/// <see cref="Timestamp"/>, and text <see cref="String"/> (dictionary-encoded).
/// </summary>
public enum ColumnType
{
    /// <summary>64-bit float; null is stored as NaN.</summary>
    Double,

    /// <summary>64-bit integer; null is stored as <see cref="long.MinValue"/>, which is therefore not a storable value.</summary>
    Int64,

    /// <summary>Microseconds since 1970-01-01T00:00 of the wall-clock time as written in the source (no zone conversion); null as <see cref="long.MinValue"/>.</summary>
    Timestamp,

    /// <summary>Text, stored as a 32-bit code into the column's dictionary; null is code -1.</summary>
    String,
}
