namespace Biathlon.Host.Tests;

/// <summary>The host is a thin shell over the engine: it must reach the engine, and nothing may reach it.</summary>
public sealed class DependencyDirectionTests
{
    [Fact]
    public void Host_references_the_engine_and_no_project_references_the_host()
    {
        var host = typeof(Program).Assembly;
        Assert.Contains("Biathlon.Engine", host.GetReferencedAssemblies().Select(a => a.Name));
        foreach (var library in new[] { typeof(Biathlon.Engine.EngineAssembly), typeof(Biathlon.Planner.PlannerAssembly), typeof(Biathlon.Sampling.PartitionedTable) })
        {
            Assert.DoesNotContain("Biathlon.Host", library.Assembly.GetReferencedAssemblies().Select(a => a.Name));
        }
    }
}
