using Biathlon.Engine.Specs;
using Biathlon.Host.Grpc.Contracts;
using Biathlon.Host.Pipelines;
using Biathlon.Host.Security;
using Biathlon.Host.Serving;
using Biathlon.Sampling.Errors;
using Grpc.Core;

namespace Biathlon.Host.Grpc;

/// <summary>
/// The gRPC <c>biathlon.v1.Admin</c> service (admin role): reloads a pipeline from its folder as a new version, as
/// <c>POST /v1/admin/pipelines/{name}/reload</c> does. A folder that fails to load answers FAILED_PRECONDITION
/// (UNAVAILABLE when its store does not answer) and the serving version stays.
/// </summary>
internal sealed class AdminGrpcService(PipelineCatalog catalog, ApiKeyStore keys, ILogger<AdminGrpcService> logger) : Admin.AdminBase
{
    public override async Task<ReloadResponse> Reload(ReloadRequest request, ServerCallContext context)
    {
        var name = request.Pipeline;
        try
        {
            var caller = GrpcAccess.Authorize(keys, context, Role.Admin, name);
            long version;
            try
            {
                version = await catalog.LoadAsync(name, context.CancellationToken).ConfigureAwait(false);
            }
            catch (StoreUnavailableException e)
            {
                throw new ServeException(503, "Store unavailable", $"Pipeline '{name}' did not reload; the serving version stays. {e.Message}", "pipeline", TimeSpan.FromSeconds(1));
            }
            catch (Exception e) when (e is PipelineSpecException or BiathlonException or IOException or InvalidOperationException)
            {
                throw new ServeException(422, "Reload failed", $"Pipeline '{name}' did not reload; the serving version stays. {e.Message}", "pipeline");
            }

            logger.LogInformation("Pipeline {Pipeline} reloaded as version {Version} by {Caller} over gRPC", name, version, caller.Name);
            var selfTest = catalog.States.First(s => s.Name == name).SelfTest;
            return new ReloadResponse { Pipeline = name, Version = version, SelfTest = ResponseConverter.ToSelfTest(selfTest) };
        }
        catch (ServeException e)
        {
            throw RpcErrors.From(e);
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            throw RpcErrors.Cancelled(context);
        }
    }
}
