using System.Text.Json;
using System.Text.Json.Nodes;

namespace Biathlon.Host.Tests.Server;

/// <summary>
/// A pipelines folder of a test's own, in the temp directory: the repository's trained pipelines linked in as they are,
/// or copied with an edited spec. Nothing is written into the repository's pipeline folders, except through a link,
/// whose table cache the server only reads. Disposing deletes the folder (links, never their targets).
/// </summary>
internal sealed class PipelineStage : IDisposable
{
    private readonly TempDirectory _root = new();
    private readonly List<string> _links = [];

    /// <summary>The folder to serve: <c>--Biathlon:PipelinesFolder</c>.</summary>
    public string Folder => _root.Path;

    /// <summary>The folder a staged pipeline is served from.</summary>
    public string PathOf(string name) => Path.Combine(Folder, name);

    /// <summary>Links pipelines/<paramref name="name"/> in, served as <paramref name="asName"/> (default: its own name).</summary>
    public PipelineStage Link(string name, string? asName = null)
    {
        var source = TestPipelines.RequireTrained(name);
        var link = PathOf(asName ?? name);
        Directory.CreateSymbolicLink(link, source);
        _links.Add(link);
        return this;
    }

    /// <summary>
    /// Copies pipelines/<paramref name="name"/> (spec, model, self-test request; not its table cache, which the server
    /// rebuilds on first load) as <paramref name="asName"/>, applying <paramref name="edit"/> to the spec.
    /// </summary>
    public PipelineStage Copy(string name, Action<JsonObject>? edit = null, string? asName = null)
    {
        CopyTo(PathOf(asName ?? name), name, edit);
        return this;
    }

    /// <summary>Copies pipelines/<paramref name="name"/> as <see cref="Copy"/> does, into <paramref name="folder"/> (e.g. outside the served folder).</summary>
    public static void CopyTo(string folder, string name, Action<JsonObject>? edit)
    {
        var source = TestPipelines.RequireTrained(name);
        Directory.CreateDirectory(folder);
        foreach (var file in Directory.GetFiles(source))
        {
            File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
        }

        if (edit is not null)
        {
            var specFile = Path.Combine(folder, "pipeline.json");
            var spec = JsonNode.Parse(File.ReadAllText(specFile))!.AsObject();
            edit(spec);
            File.WriteAllText(specFile, spec.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        }
    }

    public void Dispose()
    {
        // Remove the links themselves first, so that deleting the folder can never reach into their targets.
        foreach (var link in _links)
        {
            File.Delete(link);
        }

        _root.Dispose();
    }
}
