using System.Diagnostics;
using Biathlon.Host.Configuration;
using Biathlon.Host.Grpc.Contracts;
using Biathlon.Host.Http;
using Biathlon.Host.Metrics;
using Biathlon.Host.Pipelines;
using Biathlon.Host.Security;
using Biathlon.Host.Serving;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace Biathlon.Host.Grpc;

/// <summary>
/// The gRPC <c>biathlon.v1.Scoring</c> service: the JSON API's predict, batch, exact, list and describe over the same
/// <see cref="PredictionService"/>, catalog and API keys. A call without <c>deadline_ms</c> takes its gRPC deadline,
/// capped at the server's maximum, as its deadline (else the server's default). Predictions record the same request
/// metric as the JSON API, under endpoints <c>grpc.predict</c>, <c>grpc.predict-batch</c> and <c>grpc.predict-exact</c>,
/// with the HTTP status the JSON API would have answered.
/// </summary>
internal sealed class ScoringGrpcService(
    PredictionService predictions,
    PipelineCatalog catalog,
    ShadowRunner shadows,
    ApiKeyStore keys,
    ServerInstruments instruments,
    IOptions<ServerOptions> options) : Scoring.ScoringBase
{
    private readonly LimitOptions _limits = options.Value.Limits;
    private readonly Dictionary<string, double> _shadowShares = options.Value.Shadows.ToDictionary(p => p.Key, p => p.Value.Share, StringComparer.Ordinal);

    public override async Task<Prediction> Predict(PredictRequest request, ServerCallContext context)
    {
        var outcome = await ServeAsync("grpc.predict", request.Pipeline, context, (caller, arrived) => new ServeCall(
            request.Pipeline,
            [RequestConverter.ToFields(request.Request, "request", _limits.MaxStringLength)],
            Exact: false,
            RequestConverter.Optional(request.HasDelta, request.Delta, "delta"),
            RequestConverter.Optional(request.HasTau, request.Tau, "tau"),
            DeadlineMs(request.HasDeadlineMs, request.DeadlineMs, context),
            caller,
            arrived,
            Batch: false)).ConfigureAwait(false);
        return ResponseConverter.ToPrediction(outcome);
    }

    public override async Task<PredictBatchResponse> PredictBatch(PredictBatchRequest request, ServerCallContext context)
    {
        var outcome = await ServeAsync("grpc.predict-batch", request.Pipeline, context, (caller, arrived) => new ServeCall(
            request.Pipeline,
            RequestConverter.ToBatch(request.Requests, _limits.MaxStringLength, _limits.MaxBatchSize),
            Exact: false,
            RequestConverter.Optional(request.HasDelta, request.Delta, "delta"),
            RequestConverter.Optional(request.HasTau, request.Tau, "tau"),
            DeadlineMs(request.HasDeadlineMs, request.DeadlineMs, context),
            caller,
            arrived,
            Batch: true)).ConfigureAwait(false);
        return ResponseConverter.ToBatch(outcome);
    }

    public override async Task<Prediction> PredictExact(PredictExactRequest request, ServerCallContext context)
    {
        var outcome = await ServeAsync("grpc.predict-exact", request.Pipeline, context, (caller, arrived) => new ServeCall(
            request.Pipeline,
            [RequestConverter.ToFields(request.Request, "request", _limits.MaxStringLength)],
            Exact: true,
            Delta: null,
            Tau: null,
            DeadlineMs(request.HasDeadlineMs, request.DeadlineMs, context),
            caller,
            arrived,
            Batch: false)).ConfigureAwait(false);
        return ResponseConverter.ToPrediction(outcome);
    }

    public override Task<ListPipelinesResponse> ListPipelines(ListPipelinesRequest request, ServerCallContext context)
    {
        try
        {
            var caller = GrpcAccess.Authorize(keys, context, Role.Predict, null);
            var response = new ListPipelinesResponse();
            foreach (var state in catalog.States.Where(s => caller.May(Role.Predict, s.Name)))
            {
                response.Pipelines.Add(ResponseConverter.ToPipeline(ResponseMapper.Describe(catalog, shadows, _shadowShares, state)));
            }

            return Task.FromResult(response);
        }
        catch (ServeException e)
        {
            throw RpcErrors.From(e);
        }
    }

    public override Task<Pipeline> DescribePipeline(DescribePipelineRequest request, ServerCallContext context)
    {
        try
        {
            var name = request.Pipeline;
            GrpcAccess.Authorize(keys, context, Role.Predict, name);
            var state = catalog.States.FirstOrDefault(s => s.Name == name)
                ?? throw new ServeException(404, "Unknown pipeline", $"No pipeline named '{(name.Length > 64 ? name[..64] : name)}' is served.", "pipeline");
            return Task.FromResult(ResponseConverter.ToPipeline(ResponseMapper.Describe(catalog, shadows, _shadowShares, state)));
        }
        catch (ServeException e)
        {
            throw RpcErrors.From(e);
        }
    }

    /// <summary>
    /// Authorizes and serves one prediction call, building it with <paramref name="callFor"/> (from the caller and the
    /// arrival time) only once the key is accepted, as the JSON API reads a body only then; records the request metric.
    /// </summary>
    private async Task<ServeOutcome> ServeAsync(string endpoint, string pipeline, ServerCallContext context, Func<Caller, long, ServeCall> callFor)
    {
        var arrived = Stopwatch.GetTimestamp();
        // Unknown names share one label, so a client cannot grow the metrics without bound.
        var label = catalog.Serves(pipeline) ? pipeline : "unknown";
        var status = StatusCodes.Status500InternalServerError;
        try
        {
            var caller = GrpcAccess.Authorize(keys, context, Role.Predict, pipeline);
            var outcome = await predictions.ServeAsync(callFor(caller, arrived), context.CancellationToken).ConfigureAwait(false);
            status = StatusCodes.Status200OK;
            return outcome;
        }
        catch (ServeException e)
        {
            status = e.Status;
            throw RpcErrors.From(e);
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            status = 499;
            throw RpcErrors.Cancelled(context);
        }
        finally
        {
            instruments.RequestCompleted(label, endpoint, status, Stopwatch.GetElapsedTime(arrived).TotalSeconds);
        }
    }

    /// <summary>
    /// The call's deadline in milliseconds: <c>deadline_ms</c> when set (<see cref="PredictionService"/> checks it), else
    /// what is left of the gRPC deadline, capped at the server's maximum; null (the server's default) when neither is set.
    /// </summary>
    private double? DeadlineMs(bool present, double value, ServerCallContext context)
    {
        if (present || context.Deadline == DateTime.MaxValue)
        {
            return RequestConverter.Optional(present, value, "deadlineMs");
        }

        var left = (context.Deadline - DateTime.UtcNow).TotalMilliseconds;
        return left > 0
            ? Math.Min(left, _limits.MaxDeadlineMs)
            : throw new ServeException(504, "Deadline exceeded", "The call's gRPC deadline passed before it could run.");
    }
}
