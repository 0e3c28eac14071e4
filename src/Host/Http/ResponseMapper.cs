using Biathlon.Engine;
using Biathlon.Engine.Compute;
using Biathlon.Host.Pipelines;
using Biathlon.Host.Serving;

namespace Biathlon.Host.Http;

/// <summary>Turns engine results and catalog states into response bodies.</summary>
internal static class ResponseMapper
{
    public static PredictionResponse ToResponse(string pipeline, long version, PredictionResult r)
    {
        var queries = new QueryResponse[r.Queries.Count];
        for (var i = 0; i < queries.Length; i++)
        {
            var q = r.Queries[i];
            queries[i] = new QueryResponse(q.Name, q.Fraction, q.RowsScanned, q.RowsMatched, q.EstimatedRows, q.FirstOrderIndex, q.ExactReason.ToString());
        }

        var features = new FeatureResponse[r.Features.Count];
        for (var i = 0; i < features.Length; i++)
        {
            var f = r.Features[i];
            features[i] = new FeatureResponse(f.Name, f.Value, f.Error.ToString(), f.StdError, f.Low, f.High, f.UnknownReason.ToString());
        }

        var t = r.Timings;
        return new PredictionResponse(pipeline, version, r.Value, r.ValueKind.ToString(), r.BoundKind.ToString(), r.Delta, r.RequestedDelta,
            r.Tau, r.Confidence, r.ErrorAtTau, r.MeetsBound, r.IsExact, r.TookExactShortcut, r.DependsOnMeasuredCosts, r.StopReason.ToString(),
            r.Rounds, r.ModelRuntime.ToString(), r.Seed, queries, features,
            new TimingsResponse(t.Sampling.TotalMilliseconds, t.Propagation.TotalMilliseconds, t.Planning.TotalMilliseconds, t.Total.TotalMilliseconds),
            new ComputeResponse(ComputeInfo.Name(r.Compute.Backend), r.Compute.AggregatesOnDevice, r.Compute.ModelOnDevice, r.Compute.Fallback),
            r.Store is { Store: { } store } s ? new StoreResponse(store, s.Values, s.Bytes, s.CacheHits, s.FetchTime.TotalMilliseconds) : null);
    }

    public static PipelineResponse Describe(PipelineCatalog catalog, ShadowRunner shadows, IReadOnlyDictionary<string, double> shares, PipelineState state)
    {
        ShadowResponse? shadow = shares.TryGetValue(state.Name, out var share)
            ? new ShadowResponse(catalog.ShadowVersionOf(state.Name), share, shadows.StatisticsOf(state.Name)?.Snapshot())
            : null;
        var selfTest = state.SelfTest is { } s ? new SelfTestResponse(s.Passed, s.Detail, s.Version, s.At) : null;
        if (catalog.VersionOf(state.Name) is null)
        {
            return new PipelineResponse(state.Name, state.Phase, null, null, null, null, null, [], [], [], null, null, null, state.Error, selfTest, shadow);
        }

        using var lease = catalog.Lease(state.Name);
        var engine = lease.Engine;
        var d = engine.Definition;
        var request = d.Request.Select(f => new RequestFieldResponse(f.Name, f.Type.ToString())).ToArray();
        var queries = d.Queries.Select(q => new QuerySummaryResponse(q.Name, q.Table, q.Sampled, q.Aggregates.Select(a => a.Name).ToArray())).ToArray();
        // A pipeline whose requests carry their own δ (bound.deltaField) has none to describe.
        double? delta = double.IsNaN(engine.Delta) ? null : engine.Delta;
        return new PipelineResponse(state.Name, state.Phase, lease.Version, d.Description, d.Task.ToString(), delta, d.Bound.Tau,
            request, engine.InputNames, queries, engine.ModelDescription, engine.ModelRuntime?.ToString(), engine.Compute.ToString(), state.Error, selfTest, shadow);
    }
}
