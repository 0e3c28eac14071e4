using Biathlon.Engine;

namespace Biathlon.Host.Serving;

/// <summary>One prediction as served: what was asked, by whom, of which version, and the engine's full result.</summary>
internal sealed record ServedPrediction(
    DateTimeOffset Time,
    string Pipeline,
    long Version,
    string? Model,
    IReadOnlyDictionary<string, object?> Request,
    PredictionResult Result,
    bool Exact,
    string Caller);
