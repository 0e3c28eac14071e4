using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;
using Biathlon.Engine;
using Biathlon.Host.Configuration;
using Biathlon.Host.Metrics;
using Biathlon.Host.Pipelines;
using Biathlon.Planner.Propagation;
using Microsoft.Extensions.Options;

namespace Biathlon.Host.Serving;

/// <summary>
/// Runs a configured share of a pipeline's approximate predictions again on its shadow version, in the background,
/// and records whether the two agree (regression: within the primary's δ; classification: the same label) and how
/// long each took. Shadow results are never returned. The queue is bounded: when the shadow falls behind, calls are
/// skipped (counted), never queued without limit, and the primary path never waits for it.
/// </summary>
internal sealed class ShadowRunner : BackgroundService
{
    private readonly PipelineCatalog _catalog;
    private readonly ServerInstruments _instruments;
    private readonly ILogger<ShadowRunner> _logger;
    private readonly Dictionary<string, double> _shares;
    private readonly Channel<Job> _jobs = Channel.CreateBounded<Job>(new BoundedChannelOptions(64) { SingleReader = true, FullMode = BoundedChannelFullMode.DropWrite });
    private readonly ConcurrentDictionary<string, ShadowStatistics> _statistics = new(StringComparer.Ordinal);

    public ShadowRunner(PipelineCatalog catalog, ServerInstruments instruments, IOptions<ServerOptions> options, ILogger<ShadowRunner> logger)
    {
        _catalog = catalog;
        _instruments = instruments;
        _logger = logger;
        _shares = options.Value.Shadows.ToDictionary(p => p.Key, p => Math.Clamp(p.Value.Share, 0, 1), StringComparer.Ordinal);
    }

    /// <summary>Comparison counts and latencies so far, by pipeline.</summary>
    public ShadowStatistics? StatisticsOf(string pipeline) => _statistics.GetValueOrDefault(pipeline);

    /// <summary>Offers one served approximate prediction to the shadow, by its pipeline's share.</summary>
    public void Offer(string pipeline, IReadOnlyDictionary<string, object?> request, PredictOptions options, PredictionResult primary)
    {
        if (!_shares.TryGetValue(pipeline, out var share) || share <= 0 || Random.Shared.NextDouble() >= share)
        {
            return;
        }

        if (!_jobs.Writer.TryWrite(new Job(pipeline, request, options, primary)))
        {
            _statistics.GetOrAdd(pipeline, _ => new ShadowStatistics()).Skipped();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var job in _jobs.Reader.ReadAllAsync(stoppingToken).ConfigureAwait(false))
            {
                await CompareAsync(job).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task CompareAsync(Job job)
    {
        using var lease = _catalog.LeaseShadow(job.Pipeline);
        if (lease is null)
        {
            return;
        }

        var statistics = _statistics.GetOrAdd(job.Pipeline, _ => new ShadowStatistics());
        try
        {
            var started = Stopwatch.GetTimestamp();
            // Awaited, so a shadow served from a remote store holds no thread while the store answers.
            var shadow = await lease.Engine.PredictAsync(job.Request, job.Options).ConfigureAwait(false);
            var shadowSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            var primary = job.Primary;
            var agreed = lease.Engine.Definition.Task == PredictionTask.Classification
                ? shadow.Value == primary.Value
                : Math.Abs(shadow.Value - primary.Value) <= primary.Delta;
            var primarySeconds = primary.Timings.Total.TotalSeconds;
            statistics.Compared(agreed, primarySeconds, shadowSeconds, lease.Version);
            _instruments.ShadowCompared(job.Pipeline, agreed, primarySeconds, shadowSeconds);
        }
        catch (Exception e)
        {
            // A request the shadow refuses (its schema, a window that overflows, a key that does not fit) is a
            // disagreement worth counting, not a failure of the server. Whatever it throws, this loop must go on: an
            // exception escaping ExecuteAsync would stop the host, a shadow taking the primary down with it.
            statistics.Failed();
            _logger.LogWarning("Shadow of {Pipeline} failed a request: {Error}", job.Pipeline, e.Message);
        }
    }

    private sealed record Job(string Pipeline, IReadOnlyDictionary<string, object?> Request, PredictOptions Options, PredictionResult Primary);
}
