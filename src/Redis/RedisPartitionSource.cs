using System.Diagnostics;
using Biathlon.Sampling.Errors;
using Biathlon.Sampling.Layouts;
using Biathlon.Sampling.Schema;
using Biathlon.Sampling.Sources;
using StackExchange.Redis;

namespace Biathlon.Redis;

/// <summary>
/// Serves one stored table's cursors from Redis. A round's widenings, over all queries of a request, become one
/// pipelined batch of GETs for the segments that overlap each query's window in its new partitions, minus those the
/// hot-segment cache holds. Every value is checked (length, checksum, key, schema) before any cursor sees it, and the
/// rows go to the cursors only once every value of the round arrived intact: a failed round hands over nothing. In
/// the background, the store's append log is re-read every <see cref="RedisStoreOptions.CacheTtl"/> and new segments
/// are published to the layouts' local indexes.
/// </summary>
internal sealed class RedisPartitionSource : PartitionSource, IDisposable
{
    private readonly IDatabase _database;
    private readonly RedisKeys _keys;
    private readonly TableSchema _schema;
    private readonly SegmentCache _cache;
    private readonly RedisStoreOptions _options;
    private readonly LayoutPartition _empty;
    private readonly Timer _refresh;
    private readonly SemaphoreSlim _refreshGate = new(1, 1);
    private Layout[] _layouts = [];
    private long _logApplied;
    private int _refreshing;
    private long _checkedAt = Stopwatch.GetTimestamp(); // opening the table read the log: its indexes are current now
    private string? _refreshFailure;

    public RedisPartitionSource(IDatabase database, RedisKeys keys, TableSchema schema, RedisStoreOptions options, long logApplied)
    {
        _database = database;
        _keys = keys;
        _schema = schema;
        _options = options;
        _cache = new SegmentCache(options.CacheBytes, options.CacheTtl);
        _logApplied = logApplied;
        var columns = new ReadOnlyMemory<byte>[schema.Count];
        _empty = new LayoutPartition(0, ReadOnlyMemory<byte>.Empty, columns);
        Description = $"redis {options.Configuration}";
        _refresh = new Timer(_ => _ = RefreshQuietlyAsync(), null, Timeout.Infinite, Timeout.Infinite);
    }

    public override string Description { get; }

    public override TimeSpan IndexAge => Stopwatch.GetElapsedTime(Volatile.Read(ref _checkedAt));

    public override string? RefreshFailure => Volatile.Read(ref _refreshFailure);

    public RedisKeys Keys => _keys;

    /// <summary>Records that the log's first <paramref name="records"/> appends are in the indexes already.</summary>
    public void MarkApplied(long records) => Interlocked.Exchange(ref _logApplied, records);

    /// <summary>Appends applied to the local indexes so far (the log's length when last read).</summary>
    public long LogApplied => Interlocked.Read(ref _logApplied);

    /// <summary>Starts serving <paramref name="layouts"/> (the table's, built over this source) and the periodic refresh.</summary>
    public void Attach(Layout[] layouts)
    {
        _layouts = layouts;
        var period = _options.CacheTtl;
        _refresh.Change(period, period);
    }

    public override async ValueTask FetchAsync(FetchBatch batch, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var ready = new List<(Sampling.Aggregates.SampleCursor Cursor, int Slot, Assembly? Parts)>();

        // Each key is fetched once per round, however many queries' widenings need it (overlapping windows of one group).
        var gets = new List<string>();
        var getOf = new Dictionary<string, int>(StringComparer.Ordinal);
        var waiting = new List<(Assembly Parts, int Index, int Get)>();
        var slots = new List<int>();
        var hits = 0;
        foreach (var (cursor, partitions) in batch.Entries)
        {
            var predicate = cursor.Predicate;
            var layout = predicate.Layout;
            var index = cursor.Index ?? throw new InvalidOperationException($"Layout '{layout.Name}' is not remote.");
            var group = predicate.GroupId;
            slots.Clear();
            cursor.ListPending(partitions, slots);
            foreach (var slot in slots)
            {
                var count = 0;
                if (group >= 0 && group < index.GroupCount)
                {
                    foreach (var segment in index.Segments(group, slot))
                    {
                        count += segment.Overlaps(predicate.From, predicate.To) ? 1 : 0;
                    }
                }

                if (count == 0)
                {
                    ready.Add((cursor, slot, null));
                    continue;
                }

                var parts = new Assembly(count);
                var i = 0;
                foreach (var segment in index.Segments(group, slot))
                {
                    if (!segment.Overlaps(predicate.From, predicate.To))
                    {
                        continue;
                    }

                    var key = _keys.Segment(layout.Name, index.Key(group), index.Splits(group), slot, segment.Id);
                    if (_cache.TryGet(key, out var cached))
                    {
                        parts.Rows[i] = cached;
                        hits++;
                    }
                    else
                    {
                        if (!getOf.TryGetValue(key, out var get))
                        {
                            getOf[key] = get = gets.Count;
                            gets.Add(key);
                        }

                        waiting.Add((parts, i, get));
                    }

                    i++;
                }

                ready.Add((cursor, slot, parts));
            }
        }

        long bytes = 0;
        if (gets.Count > 0)
        {
            var values = await GetAllAsync(gets, cancellationToken).ConfigureAwait(false);
            var decoded = new LayoutPartition[gets.Count];
            for (var g = 0; g < gets.Count; g++)
            {
                var key = gets[g];
                var value = values[g] ?? throw new DataSourceException(
                    key, $"Redis has no value '{key}', which the index of table '{_keys.Table}' lists: the store changed under this server (a partial reload or a flush). Reload the table (Biathlon.Host load-store) and restart or reload the pipeline.");
                decoded[g] = SegmentFormat.Decode(key, _schema, value);
                bytes += value.Length;
                _cache.Add(key, decoded[g], value.Length);
            }

            foreach (var (parts, i, get) in waiting)
            {
                parts.Rows[i] = decoded[get];
            }
        }

        // Every value arrived intact: only now do the cursors get their rows.
        foreach (var (cursor, slot, parts) in ready)
        {
            cursor.Provide(slot, parts is null ? _empty : parts.Build(_schema, cursor.Predicate.Layout.Table));
        }

        batch.Values += gets.Count;
        batch.Bytes += bytes;
        batch.CacheHits += hits;
        batch.Elapsed += Stopwatch.GetElapsedTime(started);
    }

    /// <summary>Issues every GET at once (one pipelined batch; in a cluster, one pipeline per node) and waits for all, within the operation timeout.</summary>
    private async Task<byte[]?[]> GetAllAsync(List<string> gets, CancellationToken cancellationToken)
    {
        var tasks = new Task<RedisValue>[gets.Count];
        try
        {
            // With no connection, the fail-fast policy throws from Execute itself.
            var batch = _database.CreateBatch();
            for (var g = 0; g < gets.Count; g++)
            {
                tasks[g] = batch.StringGetAsync(gets[g]);
            }

            batch.Execute();
            await Task.WhenAll(tasks).WaitAsync(_options.OperationTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            foreach (var task in tasks)
            {
                _ = task?.ContinueWith(static t => t.Exception, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously);
            }

            throw RedisTableStore.Unavailable(_options, $"fetching {gets.Count} segments of table '{_keys.Table}'", e);
        }

        var values = new byte[]?[tasks.Length];
        for (var g = 0; g < tasks.Length; g++)
        {
            var value = tasks[g].Result;
            values[g] = value.IsNull ? null : (byte[])value!;
        }

        return values;
    }

    /// <summary>
    /// Reads appends the log holds beyond those applied and publishes them to the layouts' indexes. One refresh at a
    /// time: two overlapping ones could publish their snapshots out of order and drop the later one's appends.
    /// </summary>
    public async Task RefreshAsync()
    {
        await _refreshGate.WaitAsync().ConfigureAwait(false);
        try
        {
            await RefreshOnceAsync().ConfigureAwait(false);
        }
        finally
        {
            _refreshGate.Release();
        }
    }

    private async Task RefreshOnceAsync()
    {
        var applied = LogApplied;
        long length;
        RedisValue[] records;
        try
        {
            length = await _database.ListLengthAsync(_keys.Log).ConfigureAwait(false);
            if (length <= applied)
            {
                MarkChecked();
                return;
            }

            records = await _database.ListRangeAsync(_keys.Log, applied, length - 1).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            throw RedisTableStore.Unavailable(_options, $"reading the append log of table '{_keys.Table}'", e);
        }

        Apply(_layouts[0].Table, _keys, records, applied);
        Interlocked.Exchange(ref _logApplied, applied + records.Length);
        MarkChecked();
    }

    private void MarkChecked()
    {
        Volatile.Write(ref _refreshFailure, null);
        Volatile.Write(ref _checkedAt, Stopwatch.GetTimestamp());
    }

    /// <summary>
    /// Applies append records (log positions from <paramref name="firstPosition"/>) to the table's layout indexes, and
    /// publishes the new indexes of all layouts at once: no request sees an append in one layout and not another.
    /// </summary>
    internal static void Apply(PartitionedTable table, RedisKeys keys, RedisValue[] records, long firstPosition)
    {
        var added = new Dictionary<string, List<AddedSegment>>(StringComparer.Ordinal);
        for (var r = 0; r < records.Length; r++)
        {
            var (_, segments) = IndexFormat.ReadAppend($"{keys.Log}[{firstPosition + r}]", (byte[])records[r]!);
            foreach (var (layout, segment) in segments)
            {
                if (!added.TryGetValue(layout, out var list))
                {
                    added[layout] = list = [];
                }

                list.Add(segment);
            }
        }

        if (added.Count == 0)
        {
            return;
        }

        var indexes = (RemoteLayoutIndex[])table.RemoteIndexes!.Clone();
        foreach (var layout in table.Layouts)
        {
            if (added.TryGetValue(layout.Name, out var list))
            {
                indexes[layout.RemoteOrdinal] = indexes[layout.RemoteOrdinal].WithSegments(list, firstPosition + records.Length);
            }
        }

        table.PublishIndexes(indexes);
    }

    private async Task RefreshQuietlyAsync()
    {
        if (Interlocked.Exchange(ref _refreshing, 1) == 1)
        {
            return;
        }

        try
        {
            await RefreshAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is BiathlonException or RedisException)
        {
            // The next tick tries again; requests keep the last good index meanwhile, and IndexAge shows how old it is.
            Volatile.Write(ref _refreshFailure, e.Message);
        }
        catch (ObjectDisposedException)
        {
            // The table was disposed while a tick was due: nothing left to refresh.
        }
        finally
        {
            Volatile.Write(ref _refreshing, 0);
        }
    }

    public void Dispose()
    {
        _refresh.Dispose();
        _refreshGate.Dispose();
    }

    /// <summary>The segments of one (group, partition) a round fetched, in index order, joined into one time-ordered slice.</summary>
    private sealed class Assembly(int count)
    {
        public LayoutPartition[] Rows { get; } = new LayoutPartition[count];

        public LayoutPartition Build(TableSchema schema, PartitionedTable table)
        {
            if (Rows.Length == 1)
            {
                return Rows[0];
            }

            var total = 0;
            foreach (var part in Rows)
            {
                total += part.RowCount;
            }

            var columns = new ReadOnlyMemory<byte>[schema.Count];
            for (var c = 0; c < columns.Length; c++)
            {
                var width = SegmentFormat.Width(schema[c].Type);
                var joined = new byte[total * width];
                var at = 0;
                foreach (var part in Rows)
                {
                    part.ColumnBuffer(c).Span.CopyTo(joined.AsSpan(at));
                    at += part.RowCount * width;
                }

                columns[c] = joined;
            }

            var slice = new LayoutPartition(total, ReadOnlyMemory<byte>.Empty, columns);
            return table.TimeColumn is { } time ? TimeOrder.Sorted(slice, schema, schema.Ordinal(time)) : slice;
        }
    }
}
