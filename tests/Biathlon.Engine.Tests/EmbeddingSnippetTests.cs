namespace Biathlon.Engine.Tests;

/// <summary>The README's ten-line embedding example compiles (it is this code) and runs against the real Flight-Delay pipeline.</summary>
[Collection(FlightDelayCollection.Name)]
public sealed class EmbeddingSnippetTests(FlightDelayFixture pipeline)
{
    [Fact]
    public async Task The_readme_embedding_snippet_runs_and_is_the_code_in_the_readme()
    {
        Assert.True(pipeline.Engine.HasModel);
        var previous = Directory.GetCurrentDirectory();
        Directory.SetCurrentDirectory(RealData.RepositoryRoot);
        var console = new StringWriter();
        var stdout = Console.Out;
        Console.SetOut(console);
        try
        {
            // snippet-start
            using var engine = await BiathlonEngine.LoadAsync("pipelines/flight-delay");
            var result = engine.Predict(new Dictionary<string, object?>
            {
                ["origin"] = "ORD",
                ["destination"] = "LGA",
                ["distance"] = 733.0,
                ["departure"] = new DateTime(2001, 6, 12, 17, 5, 0),
            });
            Console.WriteLine($"arrival delay {result.Value:F1} min ± {result.Delta:F1} " +
                              $"(confidence {result.Confidence:P0}, {result.Rounds} round(s), stop: {result.StopReason})");
            // snippet-end
            Assert.True(result.MeetsBound);
        }
        finally
        {
            Console.SetOut(stdout);
            Directory.SetCurrentDirectory(previous);
        }

        Assert.StartsWith("arrival delay ", console.ToString());

        var source = File.ReadAllLines(Path.Combine(RealData.RepositoryRoot, "tests", "Biathlon.Engine.Tests", "EmbeddingSnippetTests.cs"));
        var snippet = source
            .SkipWhile(l => !l.Contains("// snippet-start", StringComparison.Ordinal)).Skip(1)
            .TakeWhile(l => !l.Contains("// snippet-end", StringComparison.Ordinal))
            .Select(l => l.Trim())
            .ToArray();
        var readme = File.ReadAllLines(Path.Combine(RealData.RepositoryRoot, "README.md")).Select(l => l.Trim()).ToList();
        var at = readme.IndexOf(snippet[0]);
        Assert.True(at >= 0, "README.md lacks the embedding snippet");
        Assert.Equal(snippet, readme.Skip(at).Take(snippet.Length).ToArray());
        Assert.True(snippet.Length <= 10, $"the snippet is {snippet.Length} lines");
    }
}
