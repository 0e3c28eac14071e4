namespace Biathlon.Compute.Models;

/// <summary>The elementwise function the dense kernel applies to each output (fused, so an MLP layer is one launch).</summary>
internal enum DeviceActivation
{
    /// <summary>None: the affine value.</summary>
    Identity,

    /// <summary>max(x, 0).</summary>
    Relu,

    /// <summary>1 / (1 + e^−x).</summary>
    Sigmoid,

    /// <summary>tanh(x).</summary>
    Tanh,
}
