using Biathlon.Engine;
using Biathlon.Host.Grpc.Contracts;
using Biathlon.Host.Http;
using Biathlon.Host.Pipelines;
using Biathlon.Host.Serving;
using Google.Protobuf.WellKnownTypes;
using FeatureOutcome = Biathlon.Host.Grpc.Contracts.FeatureOutcome;
using QueryOutcome = Biathlon.Host.Grpc.Contracts.QueryOutcome;

namespace Biathlon.Host.Grpc;

/// <summary>
/// Turns engine results and the JSON API's pipeline descriptions into gRPC messages, field for field, with the same
/// names for kinds and reasons (the engine's enum names) as the JSON responses.
/// </summary>
internal static class ResponseConverter
{
    /// <summary>One prediction; its audit fields are left 0 for the caller to fill.</summary>
    public static Prediction ToPrediction(string pipeline, long version, PredictionResult r)
    {
        var t = r.Timings;
        var prediction = new Prediction
        {
            Pipeline = pipeline,
            Version = version,
            Value = r.Value,
            ValueKind = r.ValueKind.ToString(),
            BoundKind = r.BoundKind.ToString(),
            Delta = r.Delta,
            RequestedDelta = r.RequestedDelta,
            Tau = r.Tau,
            Confidence = r.Confidence,
            ErrorAtTau = r.ErrorAtTau,
            MeetsBound = r.MeetsBound,
            IsExact = r.IsExact,
            TookExactShortcut = r.TookExactShortcut,
            DependsOnMeasuredCosts = r.DependsOnMeasuredCosts,
            StopReason = r.StopReason.ToString(),
            Rounds = r.Rounds,
            ModelRuntime = r.ModelRuntime.ToString(),
            Seed = r.Seed,
            Timings = new Timings
            {
                SamplingMs = t.Sampling.TotalMilliseconds,
                PropagationMs = t.Propagation.TotalMilliseconds,
                PlanningMs = t.Planning.TotalMilliseconds,
                TotalMs = t.Total.TotalMilliseconds,
            },
            Compute = new ComputeUse
            {
                Backend = Engine.Compute.ComputeInfo.Name(r.Compute.Backend),
                AggregatesOnDevice = r.Compute.AggregatesOnDevice,
                ModelOnDevice = r.Compute.ModelOnDevice,
                Fallback = r.Compute.Fallback ?? "",
            },
            Store = r.Store.Store is { } store
                ? new Contracts.StoreUse { Store = store, Values = r.Store.Values, Bytes = r.Store.Bytes, CacheHits = r.Store.CacheHits, FetchMs = r.Store.FetchTime.TotalMilliseconds }
                : null,
        };
        foreach (var q in r.Queries)
        {
            prediction.Queries.Add(new QueryOutcome
            {
                Name = q.Name,
                Fraction = q.Fraction,
                RowsScanned = q.RowsScanned,
                RowsMatched = q.RowsMatched,
                EstimatedRows = q.EstimatedRows,
                S1 = q.FirstOrderIndex,
                ExactReason = q.ExactReason.ToString(),
            });
        }

        foreach (var f in r.Features)
        {
            prediction.Features.Add(new FeatureOutcome
            {
                Name = f.Name,
                Value = f.Value,
                Error = f.Error.ToString(),
                StdError = f.StdError,
                Low = f.Low,
                High = f.High,
                UnknownReason = f.UnknownReason.ToString(),
            });
        }

        return prediction;
    }

    /// <summary>A served call's single prediction, with the call's audit sequence.</summary>
    public static Prediction ToPrediction(ServeOutcome outcome)
    {
        var prediction = ToPrediction(outcome.Pipeline, outcome.Version, outcome.Results[0]);
        prediction.AuditSequence = outcome.AuditSequence;
        prediction.AuditDurable = outcome.AuditDurable;
        return prediction;
    }

    /// <summary>A served batch, in request order.</summary>
    public static PredictBatchResponse ToBatch(ServeOutcome outcome)
    {
        var batch = new PredictBatchResponse
        {
            Pipeline = outcome.Pipeline,
            Version = outcome.Version,
            AuditSequence = outcome.AuditSequence,
            AuditDurable = outcome.AuditDurable,
        };
        foreach (var result in outcome.Results)
        {
            batch.Results.Add(ToPrediction(outcome.Pipeline, outcome.Version, result));
        }

        return batch;
    }

    /// <summary>A pipeline as <see cref="ResponseMapper.Describe"/> describes it for the JSON API.</summary>
    public static Pipeline ToPipeline(PipelineResponse p)
    {
        var pipeline = new Pipeline { Name = p.Name, State = p.State };
        if (p.SelfTest is { } s)
        {
            pipeline.SelfTest = new SelfTestResult { Passed = s.Passed, Detail = s.Detail, Version = s.Version, At = Timestamp.FromDateTimeOffset(s.At) };
        }

        if (p.Version is { } version)
        {
            pipeline.Version = version;
        }

        if (p.Description is { } description)
        {
            pipeline.Description = description;
        }

        if (p.Task is { } task)
        {
            pipeline.Task = task;
        }

        if (p.Delta is { } delta)
        {
            pipeline.Delta = delta;
        }

        if (p.Tau is { } tau)
        {
            pipeline.Tau = tau;
        }

        if (p.Model is { } model)
        {
            pipeline.Model = model;
        }

        if (p.ModelRuntime is { } runtime)
        {
            pipeline.ModelRuntime = runtime;
        }

        if (p.Error is { } error)
        {
            pipeline.Error = error;
        }

        pipeline.Request.AddRange(p.Request.Select(f => new RequestField { Name = f.Name, Type = f.Type }));
        pipeline.Inputs.AddRange(p.Inputs);
        foreach (var q in p.Queries)
        {
            var query = new QuerySummary { Name = q.Name, Table = q.Table, Sampled = q.Sampled };
            query.Features.AddRange(q.Features);
            pipeline.Queries.Add(query);
        }

        if (p.Shadow is { } shadow)
        {
            pipeline.Shadow = new Shadow { Share = shadow.Share, Comparisons = ToComparisons(shadow.Comparisons) };
            if (shadow.Version is { } shadowVersion)
            {
                pipeline.Shadow.Version = shadowVersion;
            }
        }

        return pipeline;
    }

    /// <summary>A self-test outcome; null (the field left unset) when none ran.</summary>
    public static SelfTestResult? ToSelfTest(SelfTestOutcome? s) =>
        s is null ? null : new SelfTestResult { Passed = s.Passed, Detail = s.Detail, Version = s.Version, At = Timestamp.FromDateTimeOffset(s.At) };

    private static ShadowComparisons? ToComparisons(ShadowSummary? c) => c is null ? null : new ShadowComparisons
    {
        Version = c.Version,
        Compared = c.Compared,
        Agreed = c.Agreed,
        Failed = c.Failed,
        Skipped = c.Skipped,
        Agreement = c.Agreement,
        PrimaryMeanMs = c.PrimaryMeanMs,
        ShadowMeanMs = c.ShadowMeanMs,
    };
}
