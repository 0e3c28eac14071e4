namespace Biathlon.Sampling.Aggregates.Offload;

/// <summary>The result of a <see cref="ColumnJobKind.CoMoments"/> job: the co-moment of two columns over one range.</summary>
/// <param name="Count">Rows where both columns are non-null.</param>
/// <param name="MeanX">Mean of x over those rows.</param>
/// <param name="MeanY">Mean of y over those rows.</param>
/// <param name="Comoment">Σ(x − x̄)(y − ȳ) over those rows.</param>
internal readonly record struct PartialCoMoments(long Count, double MeanX, double MeanY, double Comoment);
