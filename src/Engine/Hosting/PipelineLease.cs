namespace Biathlon.Engine.Hosting;

/// <summary>
/// One holder's use of one version of a pipeline: while the lease is held, that version's tables and model stay
/// loaded, even if the registry has swapped in a newer version. Dispose it exactly once, when the work it covers is done
/// (a request, or a batch of them).
/// </summary>
public sealed class PipelineLease : IDisposable
{
    private BiathlonEngine? _engine;

    internal PipelineLease(string name, long version, BiathlonEngine engine)
    {
        Name = name;
        Version = version;
        _engine = engine;
    }

    /// <summary>The pipeline's name in the registry.</summary>
    public string Name { get; }

    /// <summary>The version this lease holds: 1 for the first load, one more for every reload.</summary>
    public long Version { get; }

    /// <summary>
    /// The engine of this version; throws <see cref="ObjectDisposedException"/> once the lease is disposed. The registry
    /// owns it: dispose the lease, never the engine.
    /// </summary>
    public BiathlonEngine Engine => _engine ?? throw new ObjectDisposedException(nameof(PipelineLease));

    /// <summary>Ends the lease; the version is freed when it is retired and its last lease ends. Idempotent.</summary>
    public void Dispose() => Interlocked.Exchange(ref _engine, null)?.EndUse();
}
