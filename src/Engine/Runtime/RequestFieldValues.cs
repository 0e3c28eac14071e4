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

    /// <summary>A request feature: the field's numeric value, or a calendar part of a timestamp (microseconds). Categorical transforms take <see cref="Encode"/>.</summary>
    public static double Transform(RequestTransform transform, double number, long micros)
    {
        if (transform == RequestTransform.Value)
        {
            return number;
        }

        if (transform is RequestTransform.Code or RequestTransform.OneHot)
        {
            throw new ArgumentException($"Transform {transform} encodes a string: use {nameof(Encode)}.", nameof(transform));
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

    /// <summary>
    /// A categorical input's value for the string <paramref name="value"/>: for <see cref="RequestTransform.Code"/> its
    /// index in <see cref="InputDefinition.Categories"/>, for <see cref="RequestTransform.OneHot"/> 1 when it is this
    /// input's <see cref="InputDefinition.Category"/>, else 0. A value outside the categories is coded as their count
    /// when <see cref="InputDefinition.Unknown"/> is <see cref="UnknownCategory.Other"/>, and is a
    /// <see cref="RequestException"/> naming the field when it is <see cref="UnknownCategory.Error"/>.
    /// </summary>
    public static double Encode(InputDefinition input, string value)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(value);
        var categories = input.Categories
            ?? throw new ArgumentException($"Input '{input.Name}' is not categorical (transform {input.Transform}).", nameof(input));
        var code = -1;
        for (var c = 0; c < categories.Count && code < 0; c++)
        {
            code = string.Equals(categories[c], value, StringComparison.Ordinal) ? c : -1;
        }

        if (code < 0)
        {
            code = input.Unknown == UnknownCategory.Other ? categories.Count : throw UnknownCategoryError(input, value);
        }

        return input.Transform == RequestTransform.OneHot ? (code == input.Category ? 1 : 0) : code;
    }

    /// <summary>The error for a string outside a categorical feature's categories (unknown "error").</summary>
    internal static RequestException UnknownCategoryError(InputDefinition input, string value)
    {
        var categories = input.Categories!;
        var shown = string.Join(", ", categories.Take(10).Select(c => $"'{c}'")) + (categories.Count > 10 ? $", … ({categories.Count} in all)" : "");
        return new RequestException(input.Field!,
            $"Unknown value '{value}' for request field '{input.Field}': it is not among the declared categories ({shown}).");
    }

    private static long? ParseTime(string text) =>
        DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind | DateTimeStyles.AllowWhiteSpaces, out var t)
            ? TimeValue.FromDateTime(t)
            : null;
}
