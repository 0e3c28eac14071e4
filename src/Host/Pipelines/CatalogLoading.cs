namespace Biathlon.Host.Pipelines;

/// <summary>Loads the catalog in the background at start, so <c>/healthz</c> answers at once and <c>/readyz</c> turns ready when loading is done.</summary>
internal sealed class CatalogLoading(PipelineCatalog catalog) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => catalog.LoadAllAsync(stoppingToken);
}
