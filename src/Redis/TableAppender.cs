using System.Globalization;
using System.IO.Hashing;
using System.Text;
using System.Text.Json;
using Biathlon.Sampling.Errors;
using Biathlon.Sampling.Ingest;
using Biathlon.Sampling.Layouts;
using Biathlon.Sampling.Numerics;
using Biathlon.Sampling.Schema;
using Biathlon.Sampling.Sources;
using StackExchange.Redis;

namespace Biathlon.Redis;

/// <summary>
/// One append to a remote table. The rows are checked and encoded column by column, placed in partitions, and written
/// as new segments under keys derived from the batch id (so a retry rewrites the same keys with the same bytes). Then
/// one script, on the table's bookkeeping slot, records the batch id and logs the new segments only if the id is new:
/// the log is what servers read, so a batch is counted once however often it is sent.
/// </summary>
internal sealed class TableAppender(IDatabase database, RedisKeys keys, RedisStoreOptions options, RedisPartitionSource source)
{
    private const int MaxRows = 1_000_000;

    private static readonly LuaScript s_recordOnce = LuaScript.Prepare(
        "if redis.call('SADD', @batches, @id) == 1 then redis.call('RPUSH', @log, @record) return 1 end return 0");

    public async Task<AppendResult> AppendAsync(
        PartitionedTable table, IReadOnlyList<IReadOnlyDictionary<string, object?>> rows, string batchId, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(batchId) || batchId.Length > 200)
        {
            throw new QueryException("batchId", "An append needs a batch id of 1 to 200 characters, so a retried batch is recognised.");
        }

        if (rows.Count is 0 or > MaxRows)
        {
            throw new QueryException("rows", $"An append takes 1 to {MaxRows:N0} rows (got {rows.Count}).");
        }

        var schema = table.Schema;
        var columns = Encode(table, rows);
        var batchSeed = XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(batchId));
        var slotOf = new int[rows.Count];
        var censusRows = 0;
        for (var r = 0; r < rows.Count; r++)
        {
            if (InCensus(table, columns, r))
            {
                slotOf[r] = table.Partitions;
                censusRows++;
            }
            else
            {
                slotOf[r] = SplitMix64.Below(SplitMix64.Hash(table.Seed ^ batchSeed, (ulong)r), table.Partitions);
            }
        }

        var time = table.TimeOrdinal;
        var times = time >= 0 ? Longs(columns[time]) : null;
        var cuts = new SegmentCuts(options, time >= 0 ? schema[time].Type : null);
        var added = new List<(string Layout, AddedSegment Segment)>();
        var writes = new List<Task>();
        foreach (var layout in table.Layouts)
        {
            var index = layout.RemoteIndex!;
            var keyOrdinals = layout.KeyColumns.Select(schema.Ordinal).ToArray();

            // Rows of each (group key, slot), in time order (ties in arrival order).
            var buckets = new Dictionary<string, (long[] Key, int Slot, List<int> Rows)>(StringComparer.Ordinal);
            for (var r = 0; r < rows.Count; r++)
            {
                var key = new long[keyOrdinals.Length];
                for (var k = 0; k < key.Length; k++)
                {
                    key[k] = KeyValue(schema[keyOrdinals[k]].Type, columns[keyOrdinals[k]], r);
                }

                var name = string.Join('.', key) + "/" + slotOf[r].ToString(CultureInfo.InvariantCulture);
                if (!buckets.TryGetValue(name, out var bucket))
                {
                    buckets[name] = bucket = (key, slotOf[r], []);
                }

                bucket.Rows.Add(r);
            }

            foreach (var (_, (key, slot, members)) in buckets)
            {
                if (times is not null)
                {
                    members.Sort((a, b) => times[a] != times[b] ? times[a].CompareTo(times[b]) : a.CompareTo(b));
                }

                var group = index.FindGroup(key);
                var splits = group >= 0 ? index.Splits(group) : 1;
                Func<int, long>? timeAt = times is null ? null : i => times[members[i]];
                for (int s = 0, e, chunk = 0; s < members.Count; s = e, chunk++)
                {
                    e = cuts.Next(s, members.Count, timeAt);
                    var count = e - s;
                    var id = XxHash64.HashToUInt64(Encoding.UTF8.GetBytes($"{batchId}/{layout.Name}/{chunk}")) | (1UL << 63);
                    var name = keys.Segment(layout.Name, key, splits, slot, id);
                    var value = SegmentFormat.Encode(name, schema, Gather(schema, columns, members, s, count), count);
                    writes.Add(database.StringSetAsync(name, value));
                    var info = new SegmentInfo(id, count, times is null ? long.MinValue : times[members[s]], times is null ? long.MinValue : times[members[s + count - 1]]);
                    long[]? rowTimes = null;
                    if (times is not null && index.HasRowTimes)
                    {
                        rowTimes = new long[count];
                        for (var i = 0; i < count; i++)
                        {
                            rowTimes[i] = times[members[s + i]];
                        }
                    }

                    added.Add((layout.Name, new AddedSegment(key, slot, info, rowTimes)));
                }
            }
        }

        bool applied;
        try
        {
            await Task.WhenAll(writes).WaitAsync(options.OperationTimeout * 10, cancellationToken).ConfigureAwait(false);
            var result = await database.ScriptEvaluateAsync(s_recordOnce, new
            {
                batches = (RedisKey)keys.Batches,
                log = (RedisKey)keys.Log,
                id = (RedisValue)batchId,
                record = (RedisValue)IndexFormat.WriteAppend(batchId, added),
            }).ConfigureAwait(false);
            applied = (int)result == 1;
            await source.RefreshAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            throw RedisTableStore.Unavailable(options, $"appending batch '{batchId}' to table '{table.Name}' (retry with the same batch id)", e);
        }

        return new AppendResult(batchId, applied, rows.Count, added.Count, censusRows);
    }

    /// <summary>Every column's values for the batch, in its stored form (8 bytes a value; 4 for string codes).</summary>
    private static byte[][] Encode(PartitionedTable table, IReadOnlyList<IReadOnlyDictionary<string, object?>> rows)
    {
        var schema = table.Schema;
        var columns = new byte[schema.Count][];
        for (var c = 0; c < schema.Count; c++)
        {
            columns[c] = new byte[rows.Count * SegmentFormat.Width(schema[c].Type)];
        }

        for (var r = 0; r < rows.Count; r++)
        {
            var row = rows[r] ?? throw new QueryException($"rows[{r}]", $"Row {r} of the append is null.");
            foreach (var name in row.Keys)
            {
                if (!schema.Contains(name))
                {
                    throw new SchemaException($"rows[{r}].{name}", $"Row {r} names column '{name}', which table '{table.Name}' does not have.");
                }
            }

            for (var c = 0; c < schema.Count; c++)
            {
                var column = schema[c];
                row.TryGetValue(column.Name, out var value);
                var at = $"rows[{r}].{column.Name}";
                switch (column.Type)
                {
                    case ColumnType.Double:
                        BitConverter.TryWriteBytes(columns[c].AsSpan(r * 8), ToDouble(value, at, column));
                        break;
                    case ColumnType.String:
                        BitConverter.TryWriteBytes(columns[c].AsSpan(r * 4), ToCode(table, c, value, at));
                        break;
                    default:
                        var integer = column.Type == ColumnType.Timestamp ? ToTime(value, at, column) : ToInteger(value, at, column);
                        if (c == table.TimeOrdinal && integer == RawColumn.NullInteger)
                        {
                            throw new SchemaException(at, $"Row {r} has no value for time column '{column.Name}': appended rows need a time.");
                        }

                        BitConverter.TryWriteBytes(columns[c].AsSpan(r * 8), integer);
                        break;
                }
            }
        }

        return columns;
    }

    private static bool InCensus(PartitionedTable table, byte[][] columns, int row)
    {
        if (table.Census is not { } census)
        {
            return false;
        }

        foreach (var fence in census.Columns)
        {
            var ordinal = table.Schema.Ordinal(fence.Name);
            double v;
            if (table.Schema[ordinal].Type == ColumnType.Double)
            {
                v = BitConverter.ToDouble(columns[ordinal], row * 8);
            }
            else
            {
                var l = BitConverter.ToInt64(columns[ordinal], row * 8);
                if (l == RawColumn.NullInteger)
                {
                    continue;
                }

                v = l;
            }

            if (v < fence.Low || v > fence.High)
            {
                return true; // NaN compares false: nulls stay sampled, as at build
            }
        }

        return false;
    }

    private static long KeyValue(ColumnType type, byte[] column, int row) => type switch
    {
        ColumnType.String => BitConverter.ToInt32(column, row * 4),
        ColumnType.Double => KeyEncoding.FromDouble(BitConverter.ToDouble(column, row * 8)),
        _ => BitConverter.ToInt64(column, row * 8),
    };

    private static long[] Longs(byte[] column)
    {
        var values = new long[column.Length / 8];
        Buffer.BlockCopy(column, 0, values, 0, column.Length);
        return values;
    }

    private static byte[][] Gather(TableSchema schema, byte[][] columns, List<int> members, int start, int count)
    {
        var gathered = new byte[schema.Count][];
        for (var c = 0; c < schema.Count; c++)
        {
            var width = SegmentFormat.Width(schema[c].Type);
            var target = gathered[c] = new byte[count * width];
            for (var i = 0; i < count; i++)
            {
                Buffer.BlockCopy(columns[c], members[start + i] * width, target, i * width, width);
            }
        }

        return gathered;
    }

    private static double ToDouble(object? value, string at, ColumnSchema column) => Unwrap(value) switch
    {
        null => double.NaN,
        double d => d,
        float f => f,
        decimal m => (double)m,
        long l => l,
        int i => i,
        _ => throw Mismatch(at, column, value),
    };

    private static long ToInteger(object? value, string at, ColumnSchema column) => Unwrap(value) switch
    {
        null => RawColumn.NullInteger,
        long l when l != RawColumn.NullInteger => l,
        int i => i,
        double d when d == Math.Floor(d) && Math.Abs(d) < 9e15 => (long)d,
        _ => throw Mismatch(at, column, value),
    };

    private static long ToTime(object? value, string at, ColumnSchema column) => Unwrap(value) switch
    {
        null => RawColumn.NullInteger,
        DateTime t => TimeValue.FromDateTime(t.Kind == DateTimeKind.Local ? t.ToUniversalTime() : t),
        DateTimeOffset o => TimeValue.FromDateTime(o.UtcDateTime),
        string s when DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var o) => TimeValue.FromDateTime(o.UtcDateTime),
        long l when l != RawColumn.NullInteger => l,
        int i => i,
        _ => throw Mismatch(at, column, value),
    };

    private static int ToCode(PartitionedTable table, int ordinal, object? value, string at)
    {
        var unwrapped = Unwrap(value);
        if (unwrapped is null)
        {
            return RawColumn.NullCode;
        }

        if (unwrapped is not string s)
        {
            throw Mismatch(at, table.Schema[ordinal], value);
        }

        var code = table.Dictionary(ordinal).Find(s);
        return code >= 0
            ? code
            : throw new SchemaException(at,
                $"'{s}' is a new value of string column '{table.Schema[ordinal].Name}': appends add rows with strings the table already holds; load a table with new strings through the bulk loader (Biathlon.Host load-store).");
    }

    /// <summary>JSON values (from a request body) as the plain values they stand for.</summary>
    private static object? Unwrap(object? value) => value is JsonElement json
        ? json.ValueKind switch
        {
            JsonValueKind.Null or JsonValueKind.Undefined => null,
            JsonValueKind.String => json.GetString(),
            JsonValueKind.Number when json.TryGetInt64(out var l) => l,
            JsonValueKind.Number => json.GetDouble(),
            _ => json,
        }
        : value;

    private static SchemaException Mismatch(string at, ColumnSchema column, object? value) =>
        new(at, $"{at}: {(value is null ? "null" : $"'{value}' ({value.GetType().Name})")} does not fit column '{column.Name}' of type {column.Type}.");
}
