using System.Collections.Concurrent;
using Biathlon.Engine.Specs;

namespace Biathlon.Engine.Hosting;

/// <summary>
/// Named pipelines, each served by its current version, handed out as leases. <see cref="LoadAsync"/> loads a pipeline
/// folder as a new version and swaps it in: requests that hold a lease on the previous version finish on it, and that
/// version is freed (tables unmapped, model released) when its last lease ends. Thread-safe.
/// </summary>
/// <example>
/// <code>
/// using var registry = new PipelineRegistry();
/// await registry.LoadAsync("flight-delay", "pipelines/flight-delay");
/// using (var lease = registry.Lease("flight-delay"))
/// {
///     var result = lease.Engine.Predict(request);
/// }
/// await registry.LoadAsync("flight-delay", "pipelines/flight-delay");   // reload: version 2
/// </code>
/// </example>
public sealed class PipelineRegistry : IDisposable
{
    private readonly ConcurrentDictionary<string, Entry> _current = new(StringComparer.Ordinal);
    private readonly Lock _swap = new();
    private bool _disposed;

    /// <summary>The names of the pipelines loaded, in no particular order.</summary>
    public IReadOnlyCollection<string> Names => _current.Keys.ToArray();

    /// <summary>
    /// Loads the pipeline folder (or spec file) <paramref name="pipeline"/> and makes it the current version of
    /// <paramref name="name"/>, returning its version number. On failure (a <see cref="PipelineSpecException"/> or
    /// <see cref="Sampling.Errors.DataSourceException"/> from <see cref="BiathlonEngine.LoadAsync"/>), the version already
    /// serving stays in place untouched.
    /// </summary>
    public async Task<long> LoadAsync(string name, string pipeline, EngineOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed), this);
        var engine = await BiathlonEngine.LoadAsync(pipeline, options, cancellationToken).ConfigureAwait(false);
        BiathlonEngine? retired = null;
        long version;
        lock (_swap)
        {
            if (_disposed)
            {
                engine.Dispose();
                throw new ObjectDisposedException(nameof(PipelineRegistry));
            }

            version = _current.TryGetValue(name, out var previous) ? previous.Version + 1 : 1;
            retired = previous?.Engine;
            _current[name] = new Entry(version, engine);
        }

        // The registry's own reference to the old version ends here; leases still held keep it loaded.
        retired?.Retire();
        return version;
    }

    /// <summary>
    /// A lease on the current version of <paramref name="name"/>. Throws <see cref="KeyNotFoundException"/> naming the
    /// pipeline when none of that name is loaded.
    /// </summary>
    public PipelineLease Lease(string name)
    {
        while (true)
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed), this);
            if (!_current.TryGetValue(name, out var entry))
            {
                throw new KeyNotFoundException($"No pipeline named '{name}' is loaded (loaded: {string.Join(", ", _current.Keys.Order(StringComparer.Ordinal))}).");
            }

            if (entry.Engine.TryBeginUse())
            {
                return new PipelineLease(name, entry.Version, entry.Engine);
            }

            // A reload retired this version between the lookup and the lease: the next lookup finds the new one. If it
            // is still current, its engine was disposed from outside the registry, and no lease can be had.
            if (_current.TryGetValue(name, out var now) && ReferenceEquals(now, entry))
            {
                throw new ObjectDisposedException(nameof(BiathlonEngine), $"The engine of pipeline '{name}' version {entry.Version} was disposed outside the registry.");
            }
        }
    }

    /// <summary>The current version number of <paramref name="name"/>, or null when it is not loaded.</summary>
    public long? VersionOf(string name) => _current.TryGetValue(name, out var entry) ? entry.Version : null;

    /// <summary>Retires every pipeline: each is freed when its last lease ends. Idempotent.</summary>
    public void Dispose()
    {
        lock (_swap)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        foreach (var entry in _current.Values)
        {
            entry.Engine.Retire();
        }

        _current.Clear();
    }

    private sealed record Entry(long Version, BiathlonEngine Engine);
}
