namespace Biathlon.Experiments.Specs;

/// <summary>The models <c>train</c> can fit on exact features (ML.NET, or our MLP trainer), exported to ONNX.</summary>
public enum ModelKind
{
    /// <summary>LightGBM gradient-boosted regression trees (the regression default).</summary>
    LightGbm,

    /// <summary>FastTree boosted trees, Platt-calibrated (binary classification; the binary default).</summary>
    FastTree,

    /// <summary>FastForest random-forest regression.</summary>
    FastForest,

    /// <summary>Linear regression by SDCA, on standardised inputs folded back to raw units.</summary>
    Linear,

    /// <summary>A multilayer perceptron (16 and 8 ReLU units, sigmoid output; our Adam trainer, class-weighted): binary classification.</summary>
    Mlp,
}
