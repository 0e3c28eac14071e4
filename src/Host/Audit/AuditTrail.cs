using Biathlon.Host.Serving;

namespace Biathlon.Host.Audit;

/// <summary>The server's audit trail over an <see cref="AuditLog"/>: one record per served prediction, queued without blocking.</summary>
internal sealed class AuditTrail(AuditLog log) : IAuditTrail
{
    public bool Enabled => log.IsEnabled;

    public long DurableSequence => log.DurableSequence;

    public bool TryRecord(ServedPrediction prediction, out long sequence)
    {
        var result = prediction.Result;
        var partitions = Math.Max(1, result.Partitions);
        var plan = new AuditPlanRound[result.Plan.Count];
        for (var r = 0; r < plan.Length; r++)
        {
            var read = result.Plan[r].PartitionsRead;
            var fractions = new double[read.Count];
            for (var q = 0; q < fractions.Length; q++)
            {
                fractions[q] = read[q] / (double)partitions;
            }

            plan[r] = new AuditPlanRound(result.Plan[r].Round, fractions);
        }

        var s1 = new Dictionary<string, double>(result.Queries.Count, StringComparer.Ordinal);
        foreach (var query in result.Queries)
        {
            s1[query.Name] = query.FirstOrderIndex;
        }

        var entry = new AuditEntry
        {
            Time = prediction.Time,
            PipelineName = prediction.Pipeline,
            PipelineVersion = prediction.Version,
            ModelDescription = prediction.Model,
            Request = prediction.Request,
            Plan = plan,
            Value = result.Value,
            BoundKind = result.BoundKind.ToString(),
            Delta = result.Delta,
            Confidence = result.Confidence,
            S1 = s1,
            StopReason = result.StopReason.ToString(),
            Caller = prediction.Caller,
            Exact = prediction.Exact,
        };
        return log.TryAppend(entry, out sequence) is AuditAppendStatus.Accepted or AuditAppendStatus.Disabled;
    }
}
