namespace Biathlon.Engine.Models.Gpu;

/// <summary>
/// Where a <see cref="GpuDesignEvaluator"/> sends its design: the engine's cross-request batcher, which gathers blocks
/// of one <see cref="GpuModelProgram"/> from concurrent requests into one <see cref="GpuModelProgram.EvaluateBatch(ReadOnlySpan{DesignBlock})"/>,
/// or <see cref="DirectDesignLauncher"/>. <see cref="Launch"/> returns once the block's outputs are written.
/// </summary>
internal interface IDesignLauncher
{
    /// <summary>Evaluates <paramref name="block"/> with <paramref name="program"/>, alone or batched with others; returns when its outputs are written.</summary>
    void Launch(GpuModelProgram program, DesignBlock block);
}
