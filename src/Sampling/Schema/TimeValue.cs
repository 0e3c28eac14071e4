namespace Biathlon.Sampling.Schema;

/// <summary>Conversions between <see cref="DateTime"/> and the microsecond values stored in <see cref="ColumnType.Timestamp"/> columns.</summary>
public static class TimeValue
{
    /// <summary>Microseconds in one second.</summary>
    public const long MicrosPerSecond = 1_000_000;

    /// <summary>Microseconds in one minute.</summary>
    public const long MicrosPerMinute = 60 * MicrosPerSecond;

    /// <summary>Microseconds in one hour.</summary>
    public const long MicrosPerHour = 60 * MicrosPerMinute;

    /// <summary>Microseconds in one day.</summary>
    public const long MicrosPerDay = 24 * MicrosPerHour;

    /// <summary>The stored value of a wall-clock time; <see cref="DateTime.Kind"/> is ignored (no zone conversion).</summary>
    public static long FromDateTime(DateTime time) => (time.Ticks - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerMicrosecond;

    /// <summary>The wall-clock time of a stored value, as an unspecified-kind <see cref="DateTime"/>.</summary>
    public static DateTime ToDateTime(long micros) =>
        new(DateTime.UnixEpoch.Ticks + micros * TimeSpan.TicksPerMicrosecond, DateTimeKind.Unspecified);
}
