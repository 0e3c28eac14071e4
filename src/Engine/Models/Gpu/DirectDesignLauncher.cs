namespace Biathlon.Engine.Models.Gpu;

/// <summary>Launches each design on its own (a batch of one block): for tests and for engines without a batcher.</summary>
internal sealed class DirectDesignLauncher : IDesignLauncher
{
    /// <summary>The launcher (it holds no state).</summary>
    public static DirectDesignLauncher Instance { get; } = new();

    public void Launch(GpuModelProgram program, DesignBlock block) => program.EvaluateBatch([block]);
}
