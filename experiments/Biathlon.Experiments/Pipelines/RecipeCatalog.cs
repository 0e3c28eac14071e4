namespace Biathlon.Experiments.Pipelines;

/// <summary>The pipelines the harness knows, by folder name.</summary>
public static class RecipeCatalog
{
    public static IReadOnlyList<IPipelineRecipe> All { get; } =
    [
        new FlightRecipe(late: false), new FlightRecipe(late: true), new Pm10Recipe(), new FxRecipe(), new SensorRecipe(),
    ];

    /// <summary>The recipe named <paramref name="name"/>; a <see cref="CliException"/> listing the known names otherwise.</summary>
    public static IPipelineRecipe Find(string name) =>
        All.FirstOrDefault(r => r.Name == name)
        ?? throw new CliException($"unknown pipeline '{name}' (pipelines: {string.Join(", ", All.Select(r => r.Name))})", 2);
}
