using System.Globalization;
using System.Text;

namespace Biathlon.Redis;

/// <summary>
/// The key layout (docs/store.md). A table's bookkeeping shares the hash tag <c>{t:TABLE:GEN}</c>, so the append
/// script's keys sit in one cluster slot; a group's segments share <c>{s:TABLE:GEN:LAYOUT:GROUP}</c> (or, for a group
/// split over n tags, <c>{s:…:GROUP/i}</c> with i = partition mod n), so one group's widening talks to one node.
/// </summary>
internal sealed class RedisKeys(string prefix, string table, string generation)
{
    public string Prefix { get; } = prefix;

    public string Table { get; } = table;

    public string Generation { get; } = generation;

    /// <summary>The key naming a table's current generation (written last by an upload).</summary>
    public static string Current(string prefix, string table) => $"{prefix}:{{t:{table}}}:current";

    public string Manifest => $"{Prefix}:{{t:{Table}:{Generation}}}:manifest";

    public string Index(string layout) => $"{Prefix}:{{t:{Table}:{Generation}}}:index:{layout}";

    public string Log => $"{Prefix}:{{t:{Table}:{Generation}}}:log";

    public string Batches => $"{Prefix}:{{t:{Table}:{Generation}}}:batches";

    /// <summary>The key of one segment: group <paramref name="key"/> of <paramref name="layout"/>, slot (partition, or P for the census), segment id.</summary>
    public string Segment(string layout, ReadOnlySpan<long> key, int splits, int slot, ulong id)
    {
        var builder = new StringBuilder(64 + key.Length * 17);
        builder.Append(Prefix).Append(":{s:").Append(Table).Append(':').Append(Generation).Append(':').Append(layout).Append(':');
        AppendGroup(builder, key);
        if (splits > 1)
        {
            builder.Append('/').Append((slot % splits).ToString(CultureInfo.InvariantCulture));
        }

        return builder.Append("}:").Append(slot.ToString(CultureInfo.InvariantCulture)).Append(':').Append(id.ToString("x", CultureInfo.InvariantCulture)).ToString();
    }

    /// <summary>A group's key tuple in a key: its encoded values in hex, joined by '.'; "all" for a layout without keys.</summary>
    private static void AppendGroup(StringBuilder builder, ReadOnlySpan<long> key)
    {
        if (key.IsEmpty)
        {
            builder.Append("all");
            return;
        }

        for (var k = 0; k < key.Length; k++)
        {
            if (k > 0)
            {
                builder.Append('.');
            }

            builder.Append(((ulong)key[k]).ToString("x", CultureInfo.InvariantCulture));
        }
    }
}
