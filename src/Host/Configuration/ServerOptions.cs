namespace Biathlon.Host.Configuration;

/// <summary>
/// The scoring server's settings: configuration section <c>Biathlon</c> (appsettings.json, environment variables such
/// as <c>Biathlon__PipelinesFolder</c>, or command-line <c>--Biathlon:PipelinesFolder=...</c>). Kestrel's own URLs and
/// TLS use the standard <c>Kestrel</c> section and <c>--urls</c>; the default binding is loopback only.
/// </summary>
internal sealed class ServerOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Biathlon";

    /// <summary>
    /// The folder whose subfolders holding a <c>pipeline.json</c> are served, each under its folder's name. A relative
    /// path is looked up from the working directory upwards.
    /// </summary>
    public string PipelinesFolder { get; set; } = "pipelines";

    /// <summary>Serve only these subfolders of <see cref="PipelinesFolder"/> (default: all of them).</summary>
    public List<string> Pipelines { get; set; } = [];

    /// <summary>What <c>${data}</c> in table sources stands for (default: the engine's, $BIATHLON_DATA or the nearest data/real).</summary>
    public string? DataDirectory { get; set; }

    /// <summary>
    /// Seconds the server keeps accepting calls after SIGTERM, with <c>/readyz</c> answering 503 "draining", before it
    /// closes its listeners and lets calls in flight finish (0: close at once). Set it to a little more than the
    /// balancer's readiness polling period.
    /// </summary>
    public double DrainDelaySeconds { get; set; }

    /// <summary>Where the pipelines' aggregates and models run (GPU or CPU) and how device launches are batched.</summary>
    public ComputeOptions Compute { get; set; } = new();

    /// <summary>The scale-out store of the tables whose spec says <c>"store": "redis"</c>.</summary>
    public StoreOptions Store { get; set; } = new();

    /// <summary>Per-call limits and admission.</summary>
    public LimitOptions Limits { get; set; } = new();

    /// <summary>Shadow versions by pipeline name: each receives a share of that pipeline's traffic, compared and never returned.</summary>
    public Dictionary<string, ShadowOptions> Shadows { get; set; } = new(StringComparer.Ordinal);

    /// <summary>API keys; when none is configured, every caller may predict and administer (a warning is logged).</summary>
    public List<ApiKeyOptions> ApiKeys { get; set; } = [];
}
