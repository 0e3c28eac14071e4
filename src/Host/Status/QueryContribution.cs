namespace Biathlon.Host.Status;

/// <summary>A feature query's share of a prediction's uncertainty and how much of its rows it read.</summary>
/// <param name="Query">Query name from the pipeline spec.</param>
/// <param name="FirstOrderIndex">First-order Sobol index S1 (0..1): the share of the output's variance due to this
/// query alone.</param>
/// <param name="Fraction">Final sampled share of the query's rows (0..1).</param>
internal readonly record struct QueryContribution(string Query, double FirstOrderIndex, double Fraction);
