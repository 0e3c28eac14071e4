namespace Biathlon.Engine.Tests;

/// <summary>Dependencies point Host → Engine → {Planner, Sampling}; Sampling is the leaf.</summary>
public sealed class DependencyDirectionTests
{
    [Fact]
    public void Engine_does_not_reference_the_host_the_harness_or_MLNET()
    {
        var references = typeof(BiathlonEngine).Assembly.GetReferencedAssemblies().Select(a => a.Name).ToArray();
        Assert.DoesNotContain("Biathlon.Host", references);
        Assert.DoesNotContain("biathlon-experiments", references);
        Assert.DoesNotContain("Biathlon.MlNet", references);

        // ML.NET stays in the Biathlon.MlNet package: the engine's only Microsoft.ML.* dependency is ONNX Runtime.
        Assert.DoesNotContain(references, r => r!.StartsWith("Microsoft.ML", StringComparison.Ordinal) && !r.StartsWith("Microsoft.ML.OnnxRuntime", StringComparison.Ordinal));
    }

    [Fact]
    public void Sampling_references_no_other_project_of_ours()
    {
        var sampling = typeof(Biathlon.Sampling.Layouts.PartitionedTable).Assembly;
        var ours = sampling.GetReferencedAssemblies().Select(a => a.Name!).Where(n => n.StartsWith("Biathlon.", StringComparison.Ordinal));
        Assert.Empty(ours);
    }

    [Fact]
    public void Redis_client_stays_in_the_store()
    {
        static string[] ReferencesOf(System.Reflection.Assembly assembly) => [.. assembly.GetReferencedAssemblies().Select(a => a.Name!)];
        var store = typeof(Biathlon.Redis.RedisTableStore).Assembly;
        Assert.Contains("StackExchange.Redis", ReferencesOf(store));
        Assert.Contains("Biathlon.Sampling", ReferencesOf(store));
        Assert.DoesNotContain(ReferencesOf(store), r => r is "Biathlon.Engine" or "Biathlon.Planner" or "Biathlon.Host" or "Biathlon.Compute");
        Assert.DoesNotContain("StackExchange.Redis", ReferencesOf(typeof(Biathlon.Sampling.Layouts.PartitionedTable).Assembly));
        Assert.DoesNotContain("StackExchange.Redis", ReferencesOf(typeof(BiathlonEngine).Assembly));
    }

    [Fact]
    public void ILGPU_stays_in_the_compute_backend()
    {
        static string[] ReferencesOf(System.Reflection.Assembly assembly) => [.. assembly.GetReferencedAssemblies().Select(a => a.Name!)];
        Assert.DoesNotContain("ILGPU", ReferencesOf(typeof(Biathlon.Sampling.Layouts.PartitionedTable).Assembly));
        Assert.DoesNotContain("ILGPU", ReferencesOf(typeof(Biathlon.Planner.Propagation.IBatchModel).Assembly));
        Assert.Contains("ILGPU", ReferencesOf(typeof(Biathlon.Compute.Devices.ComputeDevice).Assembly));
        Assert.Contains("Biathlon.Sampling", ReferencesOf(typeof(Biathlon.Compute.Devices.ComputeDevice).Assembly));
        Assert.DoesNotContain(ReferencesOf(typeof(Biathlon.Compute.Devices.ComputeDevice).Assembly), r => r is "Biathlon.Engine" or "Biathlon.Planner" or "Biathlon.Host");
    }
}
