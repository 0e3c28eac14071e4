namespace Biathlon.Engine.Tests;

/// <summary>
/// The README's NuGet-package snippet is the code of samples/EmbeddedScoring, which .ci/run builds against the packed
/// packages (samples/check.sh): so the snippet compiles against the package, not just the project.
/// </summary>
public sealed class PackageSnippetTests
{
    [Fact]
    public void The_readme_package_snippet_is_the_samples_code()
    {
        var program = File.ReadAllLines(Path.Combine(RealData.RepositoryRoot, "samples", "EmbeddedScoring", "Program.cs"));
        var start = Array.FindIndex(program, l => l.Contains("// readme-snippet-start", StringComparison.Ordinal));
        var end = Array.FindIndex(program, l => l.Contains("// readme-snippet-end", StringComparison.Ordinal));
        Assert.True(start >= 0 && end > start + 1, "samples/EmbeddedScoring/Program.cs lacks its readme-snippet markers");
        var snippet = program[(start + 1)..end].Select(l => l.Trim()).ToArray();

        var readme = File.ReadAllLines(Path.Combine(RealData.RepositoryRoot, "README.md")).Select(l => l.Trim()).ToList();
        var at = readme.IndexOf(snippet[0]);
        Assert.True(at >= 0, $"README.md lacks the package snippet's first line: {snippet[0]}");
        Assert.Equal(snippet, readme.Skip(at).Take(snippet.Length).ToArray());
        Assert.True(snippet.Length <= 10, $"the snippet is {snippet.Length} lines");
    }
}
