namespace Biathlon.Host.Audit;

/// <summary>One round of a prediction's plan: the sample fraction of each feature query, in query order.</summary>
/// <param name="Round">The round number, from 1.</param>
/// <param name="Fractions">The sample fraction per query after the round.</param>
internal sealed record AuditPlanRound(int Round, IReadOnlyList<double> Fractions);
