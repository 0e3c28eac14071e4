using Biathlon.Experiments.Pipelines;

namespace Biathlon.Experiments.Tests;

/// <summary>A built-in pipeline prepared as the harness prepares it, on a copy of its spec in a test's own folder.</summary>
internal static class PreparedCopy
{
    /// <summary>
    /// Copies pipelines/<paramref name="name"/>/pipeline.json into <paramref name="root"/>/<paramref name="name"/>, draws
    /// its requests (seed 0) and trains and exports its model there (δ = validation MAE), without touching the
    /// repository's own pipeline folder.
    /// </summary>
    public static async Task<(string Folder, RecipeRequests Requests)> PrepareAsync(string root, string name, RecipeSizes sizes)
    {
        var recipe = RecipeCatalog.Find(name);
        RealData.Require(recipe.DatasetSet, recipe.DatasetFile);
        var folder = Path.Combine(root, name);
        Directory.CreateDirectory(folder);
        File.Copy(Path.Combine(RealData.RepositoryRoot, "pipelines", name, "pipeline.json"), Path.Combine(folder, "pipeline.json"));
        var requests = await recipe.LoadRequestsAsync(RealData.Directory, sizes, seed: 0);
        await PipelinePreparation.PrepareAsync(recipe, folder, RealData.Directory, requests, retrain: false, seed: 0);
        return (folder, requests);
    }
}
