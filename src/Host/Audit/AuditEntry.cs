namespace Biathlon.Host.Audit;

/// <summary>
/// What the server knows about one prediction, handed to <see cref="AuditLog.TryAppend"/>. The writer serializes it
/// later on its own thread, so nothing it references may change after it is appended.
/// </summary>
internal sealed class AuditEntry
{
    /// <summary>The caller name recorded when a request carried no API key.</summary>
    public const string AnonymousCaller = "anonymous";

    /// <summary>When the prediction was made; written in UTC.</summary>
    public required DateTimeOffset Time { get; init; }

    /// <summary>The pipeline that answered.</summary>
    public required string PipelineName { get; init; }

    /// <summary>The pipeline version that answered (versions change on reload).</summary>
    public required long PipelineVersion { get; init; }

    /// <summary>A description of the model (file, runtime, digest), when the server has one.</summary>
    public string? ModelDescription { get; init; }

    /// <summary>The request's fields; those named in <see cref="AuditOptions.MaskedFields"/> are written masked.</summary>
    /// <remarks>Values are strings, integers, floating-point numbers, booleans, dates or null.</remarks>
    public required IReadOnlyDictionary<string, object?> Request { get; init; }

    /// <summary>The sample fractions per round; may hold only the final round.</summary>
    public required IReadOnlyList<AuditPlanRound> Plan { get; init; }

    /// <summary>The prediction.</summary>
    public required double Value { get; init; }

    /// <summary>The kind of bound the prediction was tested against.</summary>
    public required string BoundKind { get; init; }

    /// <summary>The absolute δ the prediction was tested against.</summary>
    public required double Delta { get; init; }

    /// <summary>The achieved confidence (NaN when nothing was propagated).</summary>
    public required double Confidence { get; init; }

    /// <summary>First-order Sobol index per query name.</summary>
    public required IReadOnlyDictionary<string, double> S1 { get; init; }

    /// <summary>Why the loop stopped.</summary>
    public required string StopReason { get; init; }

    /// <summary>The API key's name, or <see cref="AnonymousCaller"/>.</summary>
    public required string Caller { get; init; }

    /// <summary>True when every query was read completely.</summary>
    public required bool Exact { get; init; }
}
