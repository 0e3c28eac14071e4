using Biathlon.Engine;

namespace Biathlon.Host.Serving;

/// <summary>
/// What a served call returns: the pipeline version that answered, one result per request, the audit sequence of the
/// last record written (0 when auditing is off) and the durable sequence at answer time.
/// </summary>
internal sealed record ServeOutcome(string Pipeline, long Version, IReadOnlyList<PredictionResult> Results, long AuditSequence, long AuditDurable);
