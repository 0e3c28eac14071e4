using Biathlon.Host.Configuration;
using Biathlon.Host.Pipelines;
using Biathlon.Host.Security;
using Biathlon.Host.Serving;
using Biathlon.Sampling.Errors;
using Microsoft.Extensions.Options;

namespace Biathlon.Host.Http;

/// <summary>
/// <c>POST /v1/pipelines/{name}/tables/{table}/rows</c> (admin role): appends rows to one of the pipeline's Redis
/// tables, once per batch id. This server serves them from its next call, every other server sharing the store within
/// its cache TTL. A batch id sent again (a retry after a timeout, say) is acknowledged with <c>applied: false</c> and
/// counts nothing twice. 400 names the field at fault (<c>batchId</c>, <c>rows[3].delay</c>, <c>table</c> for a table
/// that is not a Redis table of the pipeline); 503 when the store does not answer (retry with the same batch id).
/// </summary>
internal static class StoreEndpoints
{
    public static void MapStoreEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/pipelines/{name}/tables/{table}/rows", Append).WithTags("Admin").WithName("AppendRows")
            .WithSummary("Appends rows to a pipeline's Redis table, once per batch id.")
            .Accepts<AppendRequestDocument>("application/json")
            .Produces<AppendResponse>()
            .ProducesProblem(400).ProducesProblem(401).ProducesProblem(403).ProducesProblem(404).ProducesProblem(413).ProducesProblem(415).ProducesProblem(503);
    }

    private static async Task<IResult> Append(
        string name, string table, HttpContext context, PipelineCatalog catalog, ApiKeyStore keys, IOptions<ServerOptions> options, ILogger<PipelineCatalog> logger)
    {
        var access = keys.Check(CallerKey.Of(context.Request), Role.Admin, name);
        if (!access.Allowed)
        {
            return Problems.Denied(access.Status, access.Reason!);
        }

        try
        {
            if (!catalog.Serves(name))
            {
                // The target does not exist, whatever the body says: 404 before reading it.
                throw new ServeException(404, "Unknown pipeline", $"No pipeline named '{PredictBodyParser.Shorten(name, 64)}' is served.", "pipeline");
            }

            var limits = options.Value.Limits;
            var bytes = await BodyReader.ReadAsync(context.Request, limits.MaxBodyBytes, context.RequestAborted).ConfigureAwait(false);
            var body = AppendBodyParser.Parse(bytes, limits.MaxStringLength);
            using var lease = catalog.Lease(name);
            Redis.AppendResult result;
            try
            {
                result = await lease.Engine.AppendAsync(table, body.Rows, body.BatchId, context.RequestAborted).ConfigureAwait(false);
            }
            catch (QueryException e)
            {
                // A table that is not one of the pipeline's Redis tables, or a batch the store refuses as a whole.
                throw ServeException.BadField(e.Field, e.Message);
            }
            catch (SchemaException e)
            {
                // A value that does not fit its column, named rows[i].column by the store.
                throw ServeException.BadField(e.Column, e.Message);
            }
            catch (StoreUnavailableException e)
            {
                throw PredictionService.StoreUnavailable(e);
            }
            catch (DataSourceException e)
            {
                throw PredictionService.StoreDamaged(e);
            }

            logger.LogInformation("Batch {BatchId} appended to {Pipeline}.{Table} by {Caller}: {Rows} rows, {Segments} segments, applied {Applied}",
                result.BatchId, name, table, access.Caller!.Name, result.Rows, result.Segments, result.Applied);
            var response = new AppendResponse(result.BatchId, result.Applied, result.Rows, result.Segments, result.CensusRows);
            return TypedResults.Json(response, HostJsonContext.Default.AppendResponse);
        }
        catch (ServeException e)
        {
            return Problems.From(e, context);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            return TypedResults.Empty;
        }
    }
}

/// <summary>The append body as documented in OpenAPI (the server reads bodies itself, to name the field at fault).</summary>
/// <param name="BatchId">The caller's id for this batch (1–200 characters): a batch sent again with it is applied once.</param>
/// <param name="Rows">The rows: column name → value, as the table's schema says (a missing column is null; the time column is required).</param>
internal sealed record AppendRequestDocument(string BatchId, IReadOnlyList<Dictionary<string, object?>> Rows);

/// <summary>What an append did.</summary>
/// <param name="BatchId">The batch id.</param>
/// <param name="Applied">False when this batch id was applied before (by any server): nothing was counted twice.</param>
/// <param name="Rows">Rows in the batch.</param>
/// <param name="Segments">Stored segments written, over all the table's layouts.</param>
/// <param name="CensusRows">Rows that went to the census stratum (a value beyond a census column's fences).</param>
internal sealed record AppendResponse(string BatchId, bool Applied, int Rows, int Segments, int CensusRows);
