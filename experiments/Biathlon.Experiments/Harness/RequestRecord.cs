namespace Biathlon.Experiments.Harness;

/// <summary>One request served by one method (a row of requests-PIPELINE.csv).</summary>
public sealed record RequestRecord(
    string Pipeline, string Method, int Request, double Label, double Value, double LatencyMs, int Rounds, double MeanFraction,
    double SamplingMs, double PropagationMs, double PlanningMs, string Stop);
