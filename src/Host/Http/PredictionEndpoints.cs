using System.Diagnostics;
using System.Globalization;
using Biathlon.Host.Configuration;
using Biathlon.Host.Metrics;
using Biathlon.Host.Pipelines;
using Biathlon.Host.Security;
using Biathlon.Host.Serving;
using Microsoft.Extensions.Options;

namespace Biathlon.Host.Http;

/// <summary>
/// The JSON prediction endpoints under <c>/v1/pipelines/{name}</c>: <c>predict</c>, <c>predict-batch</c> and
/// <c>predict-exact</c>. Bodies are read by the server itself, so every bad input gets a problem+json naming the field.
/// Responses carry <c>X-Pipeline-Version</c>, and with auditing on, <c>X-Audit-Sequence</c> (this call's last record)
/// and <c>X-Audit-Durable</c> (every record up to it is on disk).
/// </summary>
internal static class PredictionEndpoints
{
    public static void MapPredictionEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/pipelines/{name}").WithTags("Predict");
        group.MapPost("/predict", (string name, HttpContext context) => Handle(name, context, Kind.Predict))
            .WithName("Predict")
            .WithSummary("Predicts one request within δ of the exact pipeline with confidence τ.")
            .Accepts<PredictRequestDocument>("application/json")
            .Produces<PredictionResponse>()
            .ProducesProblem(400).ProducesProblem(401).ProducesProblem(403).ProducesProblem(404).ProducesProblem(413).ProducesProblem(429).ProducesProblem(503);
        group.MapPost("/predict-batch", (string name, HttpContext context) => Handle(name, context, Kind.Batch))
            .WithName("PredictBatch")
            .WithSummary("Predicts a batch of requests on one pipeline version, in order.")
            .Accepts<BatchRequestDocument>("application/json")
            .Produces<BatchResponse>()
            .ProducesProblem(400).ProducesProblem(401).ProducesProblem(403).ProducesProblem(404).ProducesProblem(413).ProducesProblem(429).ProducesProblem(503);
        group.MapPost("/predict-exact", (string name, HttpContext context) => Handle(name, context, Kind.Exact))
            .WithName("PredictExact")
            .WithSummary("The exact pipeline's prediction: every query read completely.")
            .Accepts<PredictRequestDocument>("application/json")
            .Produces<PredictionResponse>()
            .ProducesProblem(400).ProducesProblem(401).ProducesProblem(403).ProducesProblem(404).ProducesProblem(413).ProducesProblem(429).ProducesProblem(503).ProducesProblem(504);
    }

    private static async Task<IResult> Handle(string name, HttpContext context, Kind kind)
    {
        var arrived = Stopwatch.GetTimestamp();
        var services = context.RequestServices;
        var catalog = services.GetRequiredService<PipelineCatalog>();
        var instruments = services.GetRequiredService<ServerInstruments>();
        var limits = services.GetRequiredService<IOptions<ServerOptions>>().Value.Limits;
        // Unknown names share one label, so a client cannot grow the metrics without bound.
        var label = catalog.Serves(name) ? name : "unknown";
        var endpoint = kind switch { Kind.Batch => "predict-batch", Kind.Exact => "predict-exact", _ => "predict" };
        // Anything that escapes the handled cases below is a server fault, and is counted as one.
        var status = StatusCodes.Status500InternalServerError;
        try
        {
            var access = services.GetRequiredService<ApiKeyStore>().Check(CallerKey.Of(context.Request), Role.Predict, name);
            if (!access.Allowed)
            {
                status = access.Status;
                return Problems.Denied(access.Status, access.Reason!);
            }

            if (!catalog.Serves(name))
            {
                // The target does not exist, whatever the body says: 404 before reading it.
                throw new ServeException(404, "Unknown pipeline", $"No pipeline named '{(name.Length > 64 ? name[..64] : name)}' is served.", "pipeline");
            }

            var bytes = await BodyReader.ReadAsync(context.Request, limits.MaxBodyBytes, context.RequestAborted).ConfigureAwait(false);
            var body = PredictBodyParser.Parse(bytes, kind == Kind.Batch, limits.MaxStringLength, limits.MaxBatchSize);
            var call = new ServeCall(name, body.Requests, kind == Kind.Exact, body.Delta, body.Tau, body.DeadlineMs, access.Caller!, arrived, kind == Kind.Batch);
            var outcome = await services.GetRequiredService<PredictionService>().ServeAsync(call, context.RequestAborted).ConfigureAwait(false);
            status = StatusCodes.Status200OK;
            var headers = context.Response.Headers;
            headers["X-Pipeline-Version"] = outcome.Version.ToString(CultureInfo.InvariantCulture);
            if (outcome.AuditSequence > 0)
            {
                headers["X-Audit-Sequence"] = outcome.AuditSequence.ToString(CultureInfo.InvariantCulture);
                headers["X-Audit-Durable"] = outcome.AuditDurable.ToString(CultureInfo.InvariantCulture);
            }

            if (kind != Kind.Batch)
            {
                return TypedResults.Json(ResponseMapper.ToResponse(outcome.Pipeline, outcome.Version, outcome.Results[0]), HostJsonContext.Default.PredictionResponse);
            }

            var results = new PredictionResponse[outcome.Results.Count];
            for (var i = 0; i < results.Length; i++)
            {
                results[i] = ResponseMapper.ToResponse(outcome.Pipeline, outcome.Version, outcome.Results[i]);
            }

            return TypedResults.Json(new BatchResponse(outcome.Pipeline, outcome.Version, results), HostJsonContext.Default.BatchResponse);
        }
        catch (ServeException e)
        {
            status = e.Status;
            return Problems.From(e, context);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            status = 499;
            return TypedResults.Empty;
        }
        finally
        {
            instruments.RequestCompleted(label, endpoint, status, Stopwatch.GetElapsedTime(arrived).TotalSeconds);
        }
    }

    private enum Kind
    {
        Predict,
        Batch,
        Exact,
    }
}
