namespace Biathlon.Planner.Propagation;

/// <summary>What the model predicts.</summary>
public enum PredictionTask
{
    /// <summary>A number: the prediction is the mean of the QMC outputs.</summary>
    Regression,

    /// <summary>A class label: the prediction is the most frequent label among the QMC outputs.</summary>
    Classification,
}
