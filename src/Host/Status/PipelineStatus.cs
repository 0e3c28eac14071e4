namespace Biathlon.Host.Status;

/// <summary>A served pipeline as the status page lists it.</summary>
/// <param name="Name">Pipeline name.</param>
/// <param name="Version">Version serving requests.</param>
/// <param name="Description">Free text from the spec, if any.</param>
/// <param name="ShadowVersion">Version answering in shadow (compared, not returned), if any.</param>
internal sealed record PipelineStatus(string Name, long Version, string? Description, long? ShadowVersion);
