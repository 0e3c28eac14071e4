namespace Biathlon.Engine.Models;

/// <summary>Which code evaluates a pipeline's model (spec <c>model.runtime</c>).</summary>
public enum ModelRuntime
{
    /// <summary>The native evaluator when the graph is one it supports (tree ensembles, linear models, MLPs), else ONNX Runtime.</summary>
    Auto,

    /// <summary>The native evaluator; loading fails, naming the unsupported node, when the graph is not supported.</summary>
    Native,

    /// <summary>ONNX Runtime, always.</summary>
    OnnxRuntime,
}
