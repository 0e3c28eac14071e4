namespace Biathlon.Engine;

/// <summary>
/// Marks the engine assembly. The engine (pipeline specs, models, the online loop, the public API) is not built yet;
/// this project exists so the dependency direction Host → Engine → {Planner, Sampling} holds from the start.
/// </summary>
public static class EngineAssembly
{
    /// <summary>The assembly's name, for diagnostics.</summary>
    public const string Name = "Biathlon.Engine";
}
