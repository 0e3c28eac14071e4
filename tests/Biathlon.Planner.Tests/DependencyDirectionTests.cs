using Biathlon.Planner.Propagation;

namespace Biathlon.Planner.Tests;

/// <summary>The planner sees models through an interface and features as estimates: it must not reach the engine, the host or a model runtime.</summary>
public sealed class DependencyDirectionTests
{
    [Fact]
    public void Planner_references_only_Sampling_among_our_assemblies_and_no_model_runtime()
    {
        var references = typeof(UncertaintyPropagator).Assembly.GetReferencedAssemblies().Select(a => a.Name!).ToArray();
        Assert.Contains("Biathlon.Sampling", references);
        Assert.DoesNotContain(references, r => r is "Biathlon.Engine" or "Biathlon.Host");
        Assert.DoesNotContain(references, r => r.StartsWith("Microsoft.ML", StringComparison.Ordinal));
    }
}
