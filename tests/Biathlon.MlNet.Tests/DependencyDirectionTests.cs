namespace Biathlon.MlNet.Tests;

/// <summary>The package depends on the engine and ML.NET; the engine depends on neither the package nor ML.NET.</summary>
public sealed class DependencyDirectionTests
{
    [Fact]
    public void The_package_references_the_engine_and_MLNET_and_the_engine_references_neither()
    {
        var package = typeof(MlNetOnnx).Assembly.GetReferencedAssemblies().Select(a => a.Name!).ToArray();
        Assert.Contains("Biathlon.Engine", package);
        Assert.Contains(package, name => name.StartsWith("Microsoft.ML.", StringComparison.Ordinal));

        var engine = typeof(Engine.Models.Export.OnnxExporter).Assembly.GetReferencedAssemblies().Select(a => a.Name!).ToArray();
        Assert.DoesNotContain("Biathlon.MlNet", engine);
        Assert.DoesNotContain(engine, name => name is "Microsoft.ML" or "Microsoft.ML.Data" or "Microsoft.ML.FastTree" or "Microsoft.ML.LightGbm"
            || name.StartsWith("Microsoft.ML.Core", StringComparison.Ordinal));
    }
}
