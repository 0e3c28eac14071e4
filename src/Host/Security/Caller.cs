namespace Biathlon.Host.Security;

/// <summary>An authenticated caller: the key's name, roles and pipelines (null: every pipeline).</summary>
internal sealed record Caller(string Name, Role Roles, IReadOnlySet<string>? Pipelines)
{
    /// <summary>The caller when no API key is configured: every role on every pipeline.</summary>
    public static Caller Anonymous { get; } = new("anonymous", Role.Predict | Role.Admin, null);

    /// <summary>Whether the caller holds <paramref name="role"/> on <paramref name="pipeline"/> (null: no particular pipeline).</summary>
    public bool May(Role role, string? pipeline) =>
        (Roles & role) == role && (pipeline is null || Pipelines is null || Pipelines.Contains(pipeline));
}
