using System.Globalization;
using System.Text.Json;
using Biathlon.Engine.Specs;
using Biathlon.Sampling.Schema;

namespace Biathlon.Engine.Runtime;

/// <summary>
/// How request values are read and turned into model inputs, shared by the engine and by anything that must compute
/// the same inputs (a baseline, a training pipeline). Values may be CLR values or <see cref="JsonElement"/>s.
/// </summary>
public static class RequestFieldValues
{
    /// <summary>An integer field's value, or null when <paramref name="raw"/> is not a whole number.</summary>
    public static long? ToInteger(object raw) => raw switch
    {
        long l => l,
        int n => n,
        short n => n,
        byte n => n,
        uint n => n,
        double d when d == Math.Floor(d) && Math.Abs(d) < 9e15 => (long)d,
        JsonElement { ValueKind: JsonValueKind.Number } e when e.TryGetInt64(out var l) => l,
        _ => null,
    };

    /// <summary>A number field's value, or null when <paramref name="raw"/> is not a number.</summary>
    public static double? ToNumber(object raw) => raw switch
    {
        double d => d,
        float f => f,
        decimal m => (double)m,
        JsonElement { ValueKind: JsonValueKind.Number } e => e.GetDouble(),
        _ => ToInteger(raw),
    };

    /// <summary>A timestamp field's value in microseconds since 1970 (wall clock), or null when <paramref name="raw"/> is not a time.</summary>
    public static long? ToTimestamp(object raw) => raw switch
    {
        DateTime t => TimeValue.FromDateTime(t),
        DateTimeOffset t => TimeValue.FromDateTime(t.DateTime),
        string s => ParseTime(s),
        JsonElement { ValueKind: JsonValueKind.String } e => ParseTime(e.GetString()!),
        _ => ToInteger(raw),
    };

    /// <summary>A request feature: the field's numeric value, or a calendar part of a timestamp (microseconds).</summary>
    public static double Transform(RequestTransform transform, double number, long micros)
    {
        if (transform == RequestTransform.Value)
        {
            return number;
        }

        var time = TimeValue.ToDateTime(micros);
        return transform switch
        {
            RequestTransform.HourOfDay => time.Hour,
            RequestTransform.DayOfWeek => (int)time.DayOfWeek,
            RequestTransform.DayOfYear => time.DayOfYear,
            _ => time.Hour * 60 + time.Minute,
        };
    }

    private static long? ParseTime(string text) =>
        DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind | DateTimeStyles.AllowWhiteSpaces, out var t)
            ? TimeValue.FromDateTime(t)
            : null;
}
