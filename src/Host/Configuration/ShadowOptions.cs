namespace Biathlon.Host.Configuration;

/// <summary>A shadow version of a served pipeline (section <c>Biathlon:Shadows:{name}</c>).</summary>
internal sealed class ShadowOptions
{
    /// <summary>The shadow pipeline's folder (or spec file); relative paths are taken from the working directory.</summary>
    public string Folder { get; set; } = "";

    /// <summary>Share of the pipeline's approximate predictions also run on the shadow, 0–1.</summary>
    public double Share { get; set; } = 0.1;
}
