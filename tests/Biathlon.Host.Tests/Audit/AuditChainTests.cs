using System.Collections.Concurrent;
using System.Text.Json;
using Biathlon.Host.Audit;

namespace Biathlon.Host.Tests.Audit;

public sealed class AuditChainTests
{
    [Fact]
    public async Task Records_chain_from_64_zeros_and_each_prev_is_the_hash_of_the_line_before()
    {
        using var temp = new TempDirectory();
        var path = temp.File("audit.jsonl");
        Assert.Equal(200, await AuditTestLogs.WriteAsync(path, 200));

        var lines = AuditTestLogs.Lines(path);
        Assert.Equal(200, lines.Count);
        var expectedPrev = new string('0', 64);
        for (var i = 0; i < lines.Count; i++)
        {
            using var record = JsonDocument.Parse(lines[i]);
            Assert.Equal(i + 1, record.RootElement.GetProperty("seq").GetInt64());
            Assert.Equal(expectedPrev, record.RootElement.GetProperty("prev").GetString());
            Assert.Equal(lines[i], AuditTestLogs.Reseal(lines[i]));
            expectedPrev = AuditTestLogs.Sha256Hex(lines[i]);
        }

        var verification = AuditVerifier.Verify(path);
        Assert.Equal(AuditVerificationStatus.Valid, verification.Status);
        Assert.Equal(200, verification.RecordCount);
        Assert.Equal(expectedPrev, verification.LastLineHash);
    }

    [Fact]
    public async Task A_record_holds_every_field_of_its_entry()
    {
        using var temp = new TempDirectory();
        var path = temp.File("audit.jsonl");
        await AuditTestLogs.WriteAsync(path, 8);

        using var record = JsonDocument.Parse(AuditTestLogs.Lines(path)[7]);
        var root = record.RootElement;
        Assert.Equal("2026-12-02T08:30:00.007Z", root.GetProperty("time").GetString());
        Assert.Equal("flight-delay", root.GetProperty("pipeline").GetString());
        Assert.Equal(3, root.GetProperty("pipelineVersion").GetInt64());
        Assert.Equal("lightgbm.onnx (native)", root.GetProperty("model").GetString());
        var request = root.GetProperty("request");
        Assert.Equal("ORD", request.GetProperty("origin").GetString());
        Assert.Equal(740.0, request.GetProperty("distance").GetDouble());
        Assert.Equal("2001-06-12T17:05:00Z", request.GetProperty("departure").GetString());
        Assert.Equal(7, request.GetProperty("passengers").GetInt64());
        Assert.False(request.GetProperty("international").GetBoolean());
        Assert.Equal(JsonValueKind.Null, request.GetProperty("note").ValueKind);
        var plan = root.GetProperty("plan");
        Assert.Equal(2, plan.GetArrayLength());
        Assert.Equal(2, plan[1].GetProperty("round").GetInt32());
        Assert.Equal([0.02, 1.0], plan[1].GetProperty("fractions").EnumerateArray().Select(f => f.GetDouble()));
        Assert.Equal(3.5, root.GetProperty("value").GetDouble());
        Assert.Equal("AbsoluteError", root.GetProperty("boundKind").GetString());
        Assert.Equal(4.2, root.GetProperty("delta").GetDouble());
        Assert.Equal(0.97, root.GetProperty("confidence").GetDouble());
        Assert.Equal(0.7, root.GetProperty("s1").GetProperty("origin_delays").GetDouble());
        Assert.Equal("BoundMet", root.GetProperty("stopReason").GetString());
        Assert.Equal("analyst", root.GetProperty("caller").GetString());
        Assert.False(root.GetProperty("exact").GetBoolean());
    }

    [Fact]
    public async Task Four_threads_appending_concurrently_get_sequence_numbers_one_to_n_in_file_order()
    {
        const int Threads = 4;
        const int PerThread = 2_000;
        using var temp = new TempDirectory();
        var path = temp.File("audit.jsonl");
        var callerBySequence = new ConcurrentDictionary<long, string>();
        await using (var log = AuditLog.Open(new AuditOptions { Path = path }))
        {
            using var start = new Barrier(Threads);
            var appenders = Enumerable.Range(0, Threads).Select(thread => Task.Factory.StartNew(() =>
            {
                start.SignalAndWait();
                for (var i = 0; i < PerThread; i++)
                {
                    var caller = $"t{thread}-{i}";
                    var status = log.TryAppend(AuditTestLogs.Entry(i, caller: caller), out var seq);
                    Assert.Equal(AuditAppendStatus.Accepted, status);
                    Assert.True(callerBySequence.TryAdd(seq, caller));
                }
            }, TaskCreationOptions.LongRunning)).ToArray();
            await Task.WhenAll(appenders);
        }

        Assert.Equal(Enumerable.Range(1, Threads * PerThread).Select(s => (long)s), callerBySequence.Keys.Order());
        var lines = AuditTestLogs.Lines(path);
        Assert.Equal(Threads * PerThread, lines.Count);
        for (var i = 0; i < lines.Count; i++)
        {
            using var record = JsonDocument.Parse(lines[i]);
            var seq = record.RootElement.GetProperty("seq").GetInt64();
            Assert.Equal(i + 1, seq);
            // The record at a sequence number is the entry that was told that number.
            Assert.Equal(callerBySequence[seq], record.RootElement.GetProperty("caller").GetString());
        }

        var verification = AuditVerifier.Verify(path);
        Assert.Equal(AuditVerificationStatus.Valid, verification.Status);
        Assert.Equal(Threads * PerThread, verification.RecordCount);
    }
}
