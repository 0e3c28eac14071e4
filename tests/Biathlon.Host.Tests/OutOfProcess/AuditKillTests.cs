using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Biathlon.Host.Audit;

namespace Biathlon.Host.Tests.OutOfProcess;

/// <summary>
/// The audit log under a real crash and a real stop, with the server as a child process serving sensor-anomaly:
/// 4 closed-loop clients over 400 real requests. A record is acknowledged once a response's X-Audit-Durable reaches
/// its sequence; after SIGKILL, every acknowledged record must be in the file with the value its response carried,
/// and the chain must verify (a torn last line allowed). After SIGTERM, every answered call's record must be there.
/// Then one changed digit in a copy of the log must make the Host's <c>verify-audit</c> verb name that record.
/// </summary>
public sealed class AuditKillTests
{
    private static readonly TimeSpan s_start = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Sigkill_under_load_loses_no_acknowledged_record_and_the_chain_verifies_and_continues()
    {
        using var folder = new TempDirectory();
        var log = Path.Combine(folder.Path, "audit.jsonl");
        var bodies = SensorRequests.Bodies(400);

        var first = await RunUnderLoad(log, bodies, TimeSpan.FromSeconds(2), stop: s => s.Kill());
        Assert.True(first.Answered.Count > 50, $"only {first.Answered.Count} calls answered before the kill");
        Assert.True(first.MaxDurable > 0, "no response acknowledged a durable record");

        var verification = AuditVerifier.Verify(log);
        Assert.NotEqual(AuditVerificationStatus.Broken, verification.Status);
        Assert.True(verification.LastSequence >= first.MaxDurable,
            $"the file ends at record {verification.LastSequence}, but record {first.MaxDurable} was acknowledged durable");
        var values = ReadValues(log);
        foreach (var (sequence, value) in first.Answered)
        {
            if (sequence <= first.MaxDurable)
            {
                Assert.True(values.TryGetValue(sequence, out var recorded), $"acknowledged record {sequence} is missing");
                Assert.Equal(value, recorded);
            }
        }

        // A restart truncates a torn tail and continues the chain; a graceful stop then leaves every record durable.
        var second = await RunUnderLoad(log, bodies, TimeSpan.FromSeconds(1), stop: s => s.Terminate());
        Assert.True(second.ExitedCleanly, "the server did not exit 0 after SIGTERM");
        Assert.True(second.Answered.Keys.Min() > verification.LastSequence, "sequence numbers must continue after the restart");
        var final = AuditVerifier.Verify(log);
        Assert.Equal(AuditVerificationStatus.Valid, final.Status);
        var all = ReadValues(log);
        foreach (var (sequence, value) in second.Answered)
        {
            Assert.True(all.TryGetValue(sequence, out var recorded), $"record {sequence} of an answered call is missing after a graceful stop");
            Assert.Equal(value, recorded);
        }

        // Tampering with the server's log: one digit of one record's value changed, in a copy. The server's own
        // verify-audit verb names that record and exits 1; the untouched log exits 0.
        var lines = File.ReadAllLines(log);
        var victim = lines.Length / 2;
        var valueAt = lines[victim].IndexOf("\"value\":", StringComparison.Ordinal) + "\"value\":".Length;
        var digit = lines[victim].IndexOfAny("0123456789".ToCharArray(), valueAt);
        var changed = lines[victim].ToCharArray();
        changed[digit] = changed[digit] == '9' ? '8' : (char)(changed[digit] + 1);
        lines[victim] = new string(changed);
        var tampered = Path.Combine(folder.Path, "tampered.jsonl");
        File.WriteAllLines(tampered, lines);
        var (valid, _) = ServerProcess.RunVerb("verify-audit", log);
        Assert.Equal(0, valid);
        var (broken, output) = ServerProcess.RunVerb("verify-audit", tampered);
        Assert.Equal(1, broken);
        Assert.Contains($"line {victim + 1}", output, StringComparison.Ordinal);
    }

    private static async Task<LoadOutcome> RunUnderLoad(string log, IReadOnlyList<string> bodies, TimeSpan load, Action<ServerProcess> stop)
    {
        using var server = await ServerProcess.StartAsync(
            [$"--Biathlon:PipelinesFolder={SensorRequests.PipelinesFolder()}", "--Biathlon:Pipelines:0=sensor-anomaly", $"--Biathlon:Audit:Path={log}"], s_start);
        var answered = new ConcurrentDictionary<long, double>();
        long maxDurable = 0;
        using var client = new HttpClient { BaseAddress = server.Address, Timeout = TimeSpan.FromSeconds(10) };
        using var stopping = new CancellationTokenSource();
        async Task Client(int offset)
        {
            for (var i = offset; !stopping.IsCancellationRequested; i += 4)
            {
                try
                {
                    using var content = new StringContent(bodies[i % bodies.Count], Encoding.UTF8, "application/json");
                    using var response = await client.PostAsync("/v1/pipelines/sensor-anomaly/predict", content, stopping.Token);
                    if (response.StatusCode != HttpStatusCode.OK)
                    {
                        continue;
                    }

                    var sequence = long.Parse(response.Headers.GetValues("X-Audit-Sequence").Single(), CultureInfo.InvariantCulture);
                    var durable = long.Parse(response.Headers.GetValues("X-Audit-Durable").Single(), CultureInfo.InvariantCulture);
                    using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(CancellationToken.None));
                    answered[sequence] = json.RootElement.GetProperty("value").GetDouble();
                    InterlockedMax(ref maxDurable, durable);
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException or OperationCanceledException)
                {
                    // The server went away mid-call: that call was never acknowledged.
                }
            }
        }

        var clients = Enumerable.Range(0, 4).Select(c => Task.Run(() => Client(c))).ToArray();
        await Task.Delay(load);
        stop(server);
        var exited = server.WaitForExit(TimeSpan.FromSeconds(30));
        await stopping.CancelAsync();
        await Task.WhenAll(clients);
        Assert.True(exited, $"the server did not exit:\n{server.Output}");
        return new LoadOutcome(answered, Interlocked.Read(ref maxDurable), server.ExitCode == 0);
    }

    private static Dictionary<long, double> ReadValues(string log)
    {
        var values = new Dictionary<long, double>();
        var text = File.ReadAllText(log);
        foreach (var line in text.Split('\n'))
        {
            try
            {
                using var record = JsonDocument.Parse(line);
                values[record.RootElement.GetProperty("seq").GetInt64()] = record.RootElement.GetProperty("value").GetDouble();
            }
            catch (JsonException)
            {
                // The torn tail (or the empty string after the last newline).
            }
        }

        return values;
    }

    private static void InterlockedMax(ref long target, long value)
    {
        var current = Interlocked.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    private sealed record LoadOutcome(ConcurrentDictionary<long, double> Answered, long MaxDurable, bool ExitedCleanly);
}
