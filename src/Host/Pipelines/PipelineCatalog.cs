using System.Collections.Concurrent;
using Biathlon.Engine;
using Biathlon.Engine.Hosting;
using Biathlon.Engine.Specs;
using Biathlon.Host.Configuration;
using Biathlon.Host.Serving;
using Biathlon.Redis;
using Biathlon.Sampling.Errors;
using Microsoft.Extensions.Options;

namespace Biathlon.Host.Pipelines;

/// <summary>
/// The pipelines this server serves: found in the configured folder, loaded into a <see cref="PipelineRegistry"/>
/// (shadows into a second one), self-tested after every load, reloaded on an admin's call. A pipeline that fails to
/// load is reported (readiness, listing) without stopping the others; a failed reload leaves the serving version in
/// place. Requests reach engines only through <see cref="Lease"/>.
/// </summary>
internal sealed class PipelineCatalog : IDisposable
{
    /// <summary>How often a pipeline that waits for its store is loaded again.</summary>
    public static readonly TimeSpan StoreRetryPeriod = TimeSpan.FromSeconds(1);

    private readonly ServerOptions _options;
    private readonly RedisStoreOptions? _redis;
    private readonly ILogger<PipelineCatalog> _logger;
    private readonly ILogger _engineLogger;
    private readonly PipelineRegistry _primary = new();
    private readonly PipelineRegistry _shadows = new();
    private readonly ConcurrentDictionary<string, PipelineState> _states = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _reloading = new(1, 1);
    private volatile bool _loaded;

    public PipelineCatalog(IOptions<ServerOptions> options, ILogger<PipelineCatalog> logger, ILoggerFactory loggers)
    {
        _options = options.Value;
        _redis = _options.Store.Redis.ToStoreOptions();
        _logger = logger;
        _engineLogger = loggers.CreateLogger("Biathlon.Engine");
        foreach (var (name, folder) in Discover())
        {
            _states[name] = new PipelineState(name, folder, PipelineState.Loading, null, null);
        }
    }

    /// <summary>
    /// True once the first load of every pipeline has finished (successfully or not; a pipeline waiting for its store
    /// has finished its first try and is retried by <see cref="RetryWaitingAsync"/>).
    /// </summary>
    public bool Loaded => _loaded;

    /// <summary>Every served pipeline's state, by name.</summary>
    public IReadOnlyList<PipelineState> States => _states.Values.OrderBy(s => s.Name, StringComparer.Ordinal).ToArray();

    /// <summary>Whether <paramref name="name"/> is one of the served pipelines (loaded or not).</summary>
    public bool Serves(string name) => _states.ContainsKey(name);

    /// <summary>The current version of a shadow, if one is loaded for <paramref name="name"/>.</summary>
    public long? ShadowVersionOf(string name) => _shadows.VersionOf(name);

    /// <summary>The compute backend of the serving version of <paramref name="name"/> (<see cref="Engine.Compute.ComputeInfo"/>), or null when none is loaded.</summary>
    public string? ComputeOf(string name)
    {
        if (_primary.VersionOf(name) is null)
        {
            return null;
        }

        try
        {
            using var lease = _primary.Lease(name);
            return lease.Engine.Compute.ToString();
        }
        catch (InvalidOperationException)
        {
            return null; // unloaded between the check and the lease
        }
    }

    /// <summary>The current version of <paramref name="name"/>, if loaded.</summary>
    public long? VersionOf(string name) => _primary.VersionOf(name);

    /// <summary>
    /// A lease on the serving version of <paramref name="name"/>; a <see cref="ServeException"/> 404 names an unknown
    /// pipeline, a 503 one that is still loading or failed to load.
    /// </summary>
    public PipelineLease Lease(string name)
    {
        if (!_states.TryGetValue(name, out var state))
        {
            throw new ServeException(404, "Unknown pipeline", $"No pipeline named '{Shorten(name)}' is served. Served: {string.Join(", ", _states.Keys.Order(StringComparer.Ordinal))}.", "pipeline");
        }

        if (_primary.VersionOf(name) is null)
        {
            if (state.Phase == PipelineState.WaitingForStore)
            {
                throw new ServeException(503, "Pipeline waiting for its store",
                    $"Pipeline '{name}' is not loaded yet: it waits for its store, and loads as soon as the store answers and holds its tables. {state.Error}",
                    "pipeline", StoreRetryPeriod);
            }

            var detail = state.Phase == PipelineState.Failed ? $"Pipeline '{name}' failed to load: {state.Error}" : $"Pipeline '{name}' is still loading.";
            throw new ServeException(503, "Pipeline unavailable", detail, "pipeline", TimeSpan.FromSeconds(5));
        }

        return _primary.Lease(name);
    }

    /// <summary>A lease on the shadow of <paramref name="name"/>, or null when none is loaded.</summary>
    public PipelineLease? LeaseShadow(string name)
    {
        if (_shadows.VersionOf(name) is null)
        {
            return null;
        }

        try
        {
            return _shadows.Lease(name);
        }
        catch (KeyNotFoundException)
        {
            return null;
        }
    }

    /// <summary>
    /// Loads every pipeline (and configured shadow) once, at start. A pipeline whose store does not answer, or does not
    /// hold its tables yet, is left <see cref="PipelineState.WaitingForStore"/> for <see cref="RetryWaitingAsync"/>.
    /// </summary>
    public async Task LoadAllAsync(CancellationToken cancellationToken)
    {
        foreach (var state in _states.Values.OrderBy(s => s.Name, StringComparer.Ordinal))
        {
            try
            {
                await LoadAsync(state.Name, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (IsStoreProblem(e, state))
            {
                _states[state.Name] = state with { Phase = PipelineState.WaitingForStore, Error = e.Message };
                _logger.LogWarning("Pipeline {Pipeline} waits for its store, and is loaded again every {Seconds:0} s until it answers: {Error}",
                    state.Name, StoreRetryPeriod.TotalSeconds, e.Message);
            }
            catch (Exception e) when (e is PipelineSpecException or BiathlonException or IOException or InvalidOperationException)
            {
                _states[state.Name] = state with { Phase = PipelineState.Failed, Error = e.Message };
                _logger.LogError("Pipeline {Pipeline} failed to load from {Folder}: {Error}", state.Name, state.Folder, e.Message);
            }
        }

        _loaded = true;
    }

    /// <summary>
    /// Loads every pipeline that waits for its store again, every <see cref="StoreRetryPeriod"/>, until none waits or
    /// <paramref name="cancellationToken"/> (the server stopping) ends it. A pipeline whose store answers and holds its
    /// tables starts serving without a restart; one that fails for another reason is marked failed.
    /// </summary>
    public async Task RetryWaitingAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(StoreRetryPeriod);
        while (_states.Values.Any(s => s.Phase == PipelineState.WaitingForStore) && await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
        {
            foreach (var state in _states.Values.Where(s => s.Phase == PipelineState.WaitingForStore).OrderBy(s => s.Name, StringComparer.Ordinal))
            {
                try
                {
                    var version = await LoadAsync(state.Name, cancellationToken).ConfigureAwait(false);
                    _logger.LogInformation("Pipeline {Pipeline} loaded as version {Version}: its store answers", state.Name, version);
                }
                catch (Exception e) when (IsStoreProblem(e, state))
                {
                    // Still waiting; the error is kept fresh for /readyz, and logged only when it first happened.
                    _states.TryUpdate(state.Name, state with { Error = e.Message }, state);
                }
                catch (Exception e) when (e is PipelineSpecException or BiathlonException or IOException or InvalidOperationException)
                {
                    _states.TryUpdate(state.Name, state with { Phase = PipelineState.Failed, Error = e.Message }, state);
                    _logger.LogError("Pipeline {Pipeline} failed to load from {Folder} once its store answered: {Error}", state.Name, state.Folder, e.Message);
                }
            }
        }
    }

    /// <summary>
    /// Loads <paramref name="name"/> anew from its folder as a new version (and its shadow, if configured), self-tests
    /// it and swaps it in; returns the new version. Throws <see cref="ServeException"/> 404 for an unknown name; a load
    /// error propagates and the serving version stays.
    /// </summary>
    public async Task<long> LoadAsync(string name, CancellationToken cancellationToken)
    {
        if (!_states.TryGetValue(name, out var state))
        {
            throw new ServeException(404, "Unknown pipeline", $"No pipeline named '{Shorten(name)}' is served.", "pipeline");
        }

        await _reloading.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var engineOptions = new EngineOptions
            {
                DataDirectory = _options.DataDirectory,
                Compute = _options.Compute.Backend,
                ComputeBatchWait = TimeSpan.FromMicroseconds(_options.Compute.BatchWaitMicroseconds),
                DeviceMemoryBudget = _options.Compute.DeviceMemoryBudgetMiB << 20,
                Logger = _engineLogger,
                Redis = _redis,
            };
            var started = DateTime.UtcNow;
            var version = await _primary.LoadAsync(name, state.Folder, engineOptions, cancellationToken).ConfigureAwait(false);
            SelfTestOutcome selfTest;
            using (var lease = _primary.Lease(name))
            {
                selfTest = await SelfTest.RunAsync(lease.Engine, state.Folder, lease.Version, _options.Limits.MaxStringLength, cancellationToken).ConfigureAwait(false);
            }

            _states[name] = state with { Phase = PipelineState.Serving, Error = null, SelfTest = selfTest };
            _logger.LogInformation("Pipeline {Pipeline} version {Version} loaded from {Folder} in {Seconds:F1} s; self-test {Outcome}: {Detail}",
                name, version, state.Folder, (DateTime.UtcNow - started).TotalSeconds, selfTest.Passed ? "passed" : "FAILED", selfTest.Detail);

            if (_options.Shadows.TryGetValue(name, out var shadow) && shadow.Folder.Length > 0)
            {
                // The primary is already swapped in and serving: a shadow that fails to load must not undo that or
                // report the reload as failed. The shadow version in place (if any) keeps being compared.
                try
                {
                    var shadowVersion = await _shadows.LoadAsync(name, Path.GetFullPath(shadow.Folder), engineOptions, cancellationToken).ConfigureAwait(false);
                    _logger.LogInformation("Shadow of {Pipeline} version {Version} loaded from {Folder}; share {Share:P0}", name, shadowVersion, shadow.Folder, shadow.Share);
                }
                catch (Exception e) when (e is PipelineSpecException or BiathlonException or IOException or InvalidOperationException)
                {
                    _logger.LogError("Shadow of {Pipeline} failed to load from {Folder}; the pipeline serves without a new shadow: {Error}", name, shadow.Folder, e.Message);
                }
            }

            return version;
        }
        finally
        {
            _reloading.Release();
        }
    }

    /// <summary>Frees every version once its last lease ends.</summary>
    public void Dispose()
    {
        _primary.Dispose();
        _shadows.Dispose();
        _reloading.Dispose();
    }

    /// <summary>
    /// Whether a load failed because of the pipeline's store, so that waiting for it may help: the store did not
    /// answer (<see cref="StoreUnavailableException"/>), or it answered without one of the pipeline's Redis tables or
    /// with a damaged value of one (a <see cref="DataSourceException"/> naming the table or one of the store's keys),
    /// which an upload by the bulk loader mends.
    /// </summary>
    private bool IsStoreProblem(Exception e, PipelineState state)
    {
        if (e is StoreUnavailableException)
        {
            return true;
        }

        if (e is not DataSourceException data || _redis is null)
        {
            return false;
        }

        if (data.SourceName.StartsWith(_redis.KeyPrefix + ":", StringComparison.Ordinal))
        {
            return true;
        }

        try
        {
            return PipelineSpecLoader.Load(state.Folder, _options.DataDirectory).Tables
                .Any(t => t.Store == TableStoreKind.Redis && t.Name == data.SourceName);
        }
        catch (Exception spec) when (spec is PipelineSpecException or BiathlonException or IOException)
        {
            return false;
        }
    }

    private IEnumerable<(string Name, string Folder)> Discover()
    {
        var root = ResolveFolder(_options.PipelinesFolder);

        var wanted = _options.Pipelines;
        foreach (var folder in Directory.GetDirectories(root).Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(folder);
            if (File.Exists(Path.Combine(folder, "pipeline.json")) && (wanted.Count == 0 || wanted.Contains(name)))
            {
                yield return (name, folder);
            }
        }

        foreach (var name in wanted)
        {
            if (!File.Exists(Path.Combine(root, name, "pipeline.json")))
            {
                throw new InvalidOperationException($"{ServerOptions.Section}:Pipelines names '{name}', but {Path.Combine(root, name, "pipeline.json")} does not exist.");
            }
        }

        foreach (var name in _options.Shadows.Keys)
        {
            if (!File.Exists(Path.Combine(root, name, "pipeline.json")))
            {
                throw new InvalidOperationException($"{ServerOptions.Section}:Shadows names '{name}', which is not a served pipeline.");
            }
        }
    }

    /// <summary>
    /// An absolute folder as given; a relative one from the working directory, else from the nearest directory above it
    /// that holds it (so <c>dotnet run --project src/Host</c>, which runs in the project folder, finds <c>pipelines</c>).
    /// </summary>
    private static string ResolveFolder(string folder)
    {
        if (Path.IsPathRooted(folder))
        {
            return Directory.Exists(folder) ? folder : throw new InvalidOperationException($"{ServerOptions.Section}:PipelinesFolder '{folder}' does not exist.");
        }

        for (var directory = new DirectoryInfo(Directory.GetCurrentDirectory()); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, folder);
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException($"{ServerOptions.Section}:PipelinesFolder '{folder}' exists neither in {Directory.GetCurrentDirectory()} nor above it.");
    }

    private static string Shorten(string text) => text.Length <= 64 ? text : string.Concat(text.AsSpan(0, 64), "…");
}
