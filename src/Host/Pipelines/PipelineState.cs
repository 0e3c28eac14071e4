namespace Biathlon.Host.Pipelines;

/// <summary>
/// Where one served pipeline stands: loading, serving (with its self-test outcome), waiting for its store (its load
/// failed because the Redis store did not answer or does not hold its tables yet; retried every second) or failed to load.
/// </summary>
internal sealed record PipelineState(string Name, string Folder, string Phase, string? Error, SelfTestOutcome? SelfTest)
{
    /// <summary>Loading for the first time.</summary>
    public const string Loading = "loading";

    /// <summary>Loaded and serving.</summary>
    public const string Serving = "serving";

    /// <summary>
    /// The first load failed because the pipeline's store is unreachable or does not hold its tables (yet):
    /// <see cref="Error"/> says why, and the load is retried every second until it succeeds.
    /// </summary>
    public const string WaitingForStore = "waiting for store";

    /// <summary>The first load failed; <see cref="Error"/> says why.</summary>
    public const string Failed = "failed";

    /// <summary>Serving, and its self-test passed or it has none.</summary>
    public bool Ready => Phase == Serving && SelfTest is { Passed: true };
}
