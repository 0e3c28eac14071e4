using Biathlon.Engine;
using Biathlon.Engine.Diagnostics;
using Biathlon.Engine.Specs;

namespace Biathlon.Experiments.Tests;

/// <summary>Compares a baseline's features with the engine's exact features, request by request.</summary>
internal static class BaselineSpecFeatures
{
    private const double RelativeTolerance = 1e-6;

    /// <summary>
    /// Asserts that <paramref name="compute"/> gives the engine's exact features (within 1e-6 relative: SQL and the
    /// engine sum in different orders) for every request, listing every mismatch.
    /// </summary>
    public static void AssertSame(
        BiathlonEngine engine, IEnumerable<IReadOnlyDictionary<string, object?>> requests, Action<IReadOnlyDictionary<string, object?>, float[]> compute,
        string baseline)
    {
        var definition = engine.Definition;
        var diagnostics = new PipelineDiagnostics(engine);
        var expected = new float[definition.Inputs.Count];
        var actual = new float[definition.Inputs.Count];
        var mismatches = new List<string>();
        var compared = 0;
        foreach (var request in requests)
        {
            diagnostics.ComputeExactFeatures(request, expected);
            Array.Fill(actual, float.NaN);
            compute(request, actual);
            compared++;
            for (var i = 0; i < expected.Length; i++)
            {
                if (!(Math.Abs(expected[i] - actual[i]) <= RelativeTolerance * Math.Abs(expected[i])))
                {
                    mismatches.Add($"{Name(definition.Inputs[i])} for {string.Join(", ", request.Select(kv => $"{kv.Key}={kv.Value}"))}: engine {expected[i]:R}, {baseline} {actual[i]:R}");
                }
            }
        }

        Assert.True(compared > 0);
        Assert.True(mismatches.Count == 0, string.Join(Environment.NewLine, mismatches));
    }

    private static string Name(InputDefinition input) => input.Category >= 0 ? $"{input.Name}[{input.Category}]" : input.Name;
}
