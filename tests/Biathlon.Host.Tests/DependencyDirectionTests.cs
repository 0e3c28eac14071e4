using System.Xml.Linq;

namespace Biathlon.Host.Tests;

/// <summary>
/// The project graph under src/ is Host → Engine → {Planner, Sampling, Compute, Redis}, Planner → Sampling, Compute →
/// Sampling (the GPU backend: ILGPU stays out of Sampling and Planner), Redis → Sampling (the scale-out store, behind
/// Sampling's partition-source seam: StackExchange.Redis stays out of Sampling), Sampling → nothing, and the ML.NET
/// conversion package MlNet → Engine (nothing references it: the engine must not depend on ML.NET). The Host has no
/// reference to the store of its own: it sees only the store types the engine's API exposes (its options, an append's result).
/// Read from the project files, because the compiler drops references to assemblies whose types are not used yet.
/// </summary>
public sealed class DependencyDirectionTests
{
    private static readonly Dictionary<string, string[]> s_allowed = new()
    {
        ["Biathlon.Sampling"] = [],
        ["Biathlon.Planner"] = ["Biathlon.Sampling"],
        ["Biathlon.Compute"] = ["Biathlon.Sampling"],
        ["Biathlon.Redis"] = ["Biathlon.Sampling"],
        ["Biathlon.Engine"] = ["Biathlon.Compute", "Biathlon.Planner", "Biathlon.Redis", "Biathlon.Sampling"],
        ["Biathlon.Host"] = ["Biathlon.Engine"],
        ["Biathlon.MlNet"] = ["Biathlon.Engine"],
    };

    [Fact]
    public void Project_references_under_src_follow_the_dependency_direction()
    {
        var root = FindRoot();
        var projects = Directory.GetFiles(Path.Combine(root, "src"), "*.csproj", SearchOption.AllDirectories);
        Assert.Equal(s_allowed.Keys.Order(), projects.Select(Path.GetFileNameWithoutExtension).Order());
        foreach (var project in projects)
        {
            var name = Path.GetFileNameWithoutExtension(project);
            var references = XDocument.Load(project).Descendants("ProjectReference")
                .Select(r => Path.GetFileNameWithoutExtension(r.Attribute("Include")!.Value))
                .Order()
                .ToArray();
            Assert.Equal(s_allowed[name].Order(), references);
        }
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Biathlon.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Repository root not found above " + AppContext.BaseDirectory);
    }
}
