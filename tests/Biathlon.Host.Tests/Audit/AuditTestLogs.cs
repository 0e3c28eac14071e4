using System.Security.Cryptography;
using System.Text;
using Biathlon.Host.Audit;

namespace Biathlon.Host.Tests.Audit;

/// <summary>Entries, logs and an independent reading of the record format for the audit tests.</summary>
internal static class AuditTestLogs
{
    public static AuditEntry Entry(
        int index, IReadOnlyDictionary<string, object?>? request = null, string caller = "analyst") => new()
        {
            Time = new DateTimeOffset(2026, 12, 2, 9, 30, 0, TimeSpan.FromHours(1)).AddMilliseconds(index),
            PipelineName = "flight-delay",
            PipelineVersion = 3,
            ModelDescription = "lightgbm.onnx (native)",
            Request = request ?? new Dictionary<string, object?>
            {
                ["origin"] = "ORD",
                ["distance"] = 733.0 + index,
                ["departure"] = new DateTime(2001, 6, 12, 17, 5, 0, DateTimeKind.Utc),
                ["passengers"] = (long)index,
                ["international"] = index % 2 == 0,
                ["note"] = null,
            },
            Plan = [new AuditPlanRound(1, [0.01, 0.05]), new AuditPlanRound(2, [0.02, 1.0])],
            Value = index * 0.5,
            BoundKind = "AbsoluteError",
            Delta = 4.2,
            Confidence = 0.97,
            S1 = new Dictionary<string, double> { ["origin_delays"] = 0.7, ["route_delays"] = 0.2 },
            StopReason = "BoundMet",
            Caller = caller,
            Exact = false,
        };

    /// <summary>Writes <paramref name="count"/> records to the log at <paramref name="path"/> (new or existing).</summary>
    public static async Task<long> WriteAsync(string path, int count)
    {
        await using var log = AuditLog.Open(new AuditOptions { Path = path });
        for (var i = 0; i < count; i++)
        {
            Assert.Equal(AuditAppendStatus.Accepted, log.TryAppend(Entry(i), out _));
        }

        await log.DisposeAsync();
        return log.DurableSequence;
    }

    /// <summary>The file's lines as bytes, without newlines (a torn tail comes last).</summary>
    public static List<byte[]> Lines(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var lines = new List<byte[]>();
        var start = 0;
        for (var i = 0; i < bytes.Length; i++)
        {
            if (bytes[i] == (byte)'\n')
            {
                lines.Add(bytes[start..i]);
                start = i + 1;
            }
        }

        if (start < bytes.Length)
        {
            lines.Add(bytes[start..]);
        }

        return lines;
    }

    public static string Sha256Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>The line with its seal recomputed from scratch: <c>,"hash":"&lt;SHA-256 of the bytes before&gt;"}</c>.</summary>
    public static byte[] Reseal(byte[] line)
    {
        var body = line[..line.AsSpan().LastIndexOf(",\"hash\":\""u8)];
        return [.. body, .. Encoding.UTF8.GetBytes($",\"hash\":\"{Sha256Hex(body)}\"}}")];
    }

    public static void WriteLines(string path, IEnumerable<byte[]> lines)
    {
        using var file = File.Create(path);
        foreach (var line in lines)
        {
            file.Write(line);
            file.WriteByte((byte)'\n');
        }
    }
}
