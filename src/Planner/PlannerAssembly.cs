namespace Biathlon.Planner;

/// <summary>
/// Marks the planner assembly. The planner (Sobol QMC propagation, sensitivity, termination, sample-size plans) is
/// not built yet; this project exists so the dependency direction Host → Engine → {Planner, Sampling} holds from the start.
/// </summary>
public static class PlannerAssembly
{
    /// <summary>The assembly's name, for diagnostics.</summary>
    public const string Name = "Biathlon.Planner";
}
