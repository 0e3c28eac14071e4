using System.Text.Json.Nodes;

namespace Biathlon.Engine.Tests;

/// <summary>
/// A modified copy of the real Flight-Delay spec (pipelines/flight-delay/pipeline.json) in a temporary folder, loaded
/// over the same data, table cache and trained model as <see cref="FlightDelayFixture"/>: for bound kinds, planner
/// settings and queries the shipped spec does not use. Loading maps the cached tables and the model (about a second).
/// </summary>
public sealed class FlightDelayVariant : IDisposable
{
    private readonly TempDirectory _dir = new();

    /// <summary>Writes the fixture's spec, edited by <paramref name="edit"/>, and loads it.</summary>
    public FlightDelayVariant(FlightDelayFixture pipeline, Action<JsonObject> edit)
    {
        var spec = JsonNode.Parse(File.ReadAllText(Path.Combine(pipeline.Folder, "pipeline.json")))!.AsObject();
        spec["model"] = new JsonObject { ["file"] = pipeline.Engine.Definition.ModelFile };
        edit(spec);
        File.WriteAllText(_dir.File("pipeline.json"), spec.ToJsonString());
        Engine = BiathlonEngine.LoadAsync(_dir.Path, new EngineOptions
        {
            DataDirectory = RealData.Directory,
            CacheDirectory = Path.Combine(pipeline.Folder, ".cache"),
        }).GetAwaiter().GetResult();
    }

    public BiathlonEngine Engine { get; }

    /// <summary>Sets <c>$.bound</c> to <paramref name="kind"/> with a fixed δ and τ.</summary>
    public static Action<JsonObject> Bound(string kind, double delta, double tau) =>
        spec => spec["bound"] = new JsonObject { ["kind"] = kind, ["delta"] = delta, ["tau"] = tau };

    /// <summary>Sets one planner setting.</summary>
    public static Action<JsonObject> Planner(string setting, JsonNode value) =>
        spec => spec["planner"]![setting] = value;

    /// <summary>Marks the named queries <c>"sampled": false</c> (always read exactly).</summary>
    public static Action<JsonObject> NotSampled(params string[] queries) => spec =>
    {
        foreach (var query in spec["queries"]!.AsArray())
        {
            if (queries.Contains((string)query!["name"]!))
            {
                query["sampled"] = false;
            }
        }
    };

    /// <summary>Applies several edits in order.</summary>
    public static Action<JsonObject> All(params Action<JsonObject>[] edits) => spec =>
    {
        foreach (var edit in edits)
        {
            edit(spec);
        }
    };

    public void Dispose()
    {
        Engine.Dispose();
        _dir.Dispose();
    }
}
