namespace Biathlon.Host.Pipelines;

/// <summary>
/// Loads the catalog in the background at start, so <c>/healthz</c> answers at once and <c>/readyz</c> turns ready when
/// loading is done; then loads the pipelines that wait for their store again every second, until each loads or the
/// server stops.
/// </summary>
internal sealed class CatalogLoading(PipelineCatalog catalog) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await catalog.LoadAllAsync(stoppingToken).ConfigureAwait(false);
        try
        {
            await catalog.RetryWaitingAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
