using Biathlon.Engine.Diagnostics;
using Biathlon.Engine.Runtime;
using Biathlon.Engine.Specs;

namespace Biathlon.Engine;

/// <summary>
/// Serves one pipeline: loads its spec, tables (cached as Arrow IPC) and model once, then answers
/// <see cref="Predict"/> (approximate, bounded) and <see cref="PredictExact"/> over the same code path. Thread-safe:
/// one instance serves concurrent requests. Profiling and training hooks live apart, in
/// <see cref="Diagnostics.PipelineDiagnostics"/>. <see cref="Dispose"/> may be called while requests run: they finish
/// on the loaded tables, which are freed when the last one ends; a request that starts after it throws
/// <see cref="ObjectDisposedException"/>.
/// </summary>
/// <example>
/// <code>
/// using var engine = await BiathlonEngine.LoadAsync("pipelines/flight-delay");
/// var result = engine.Predict(new Dictionary&lt;string, object?&gt;
/// {
///     ["origin"] = "ORD", ["destination"] = "LGA", ["distance"] = 733, ["departure"] = new DateTime(2001, 6, 12, 17, 5, 0),
/// });
/// Console.WriteLine($"{result.Value:F1} ± {result.Delta:F1} with confidence {result.Confidence:P0}");
/// </code>
/// </example>
public sealed class BiathlonEngine : IDisposable
{
    private readonly LoadedPipeline _pipeline;
    private readonly RequestLoop _loop;
    private readonly UsageCount _usage = new();
    private int _disposed;
    private int _ownerReleased;

    private BiathlonEngine(LoadedPipeline pipeline)
    {
        _pipeline = pipeline;
        _loop = new RequestLoop(pipeline);
        InputNames = pipeline.Definition.Inputs.Select(i => i.Name).ToArray();
    }

    /// <summary>The validated pipeline spec.</summary>
    public PipelineDefinition Definition => _pipeline.Definition;

    /// <summary>
    /// δ in force: the spec's, or the model metadata value it names; NaN when each request gives its own δ
    /// (<c>bound.deltaField</c>, reported per result as <see cref="PredictionResult.RequestedDelta"/>).
    /// </summary>
    public double Delta => _pipeline.Delta;

    /// <summary>Model input names, in column order: one-hot features expanded (<c>location=Seattle</c>, …, <c>location=&lt;other&gt;</c>).</summary>
    public IReadOnlyList<string> InputNames { get; }

    /// <summary>True when a model is loaded (false with <see cref="EngineOptions.LoadModel"/> off).</summary>
    public bool HasModel => _pipeline.Model is not null;

    /// <summary>The runtime evaluating the model (<see cref="Models.ModelRuntime.Native"/> or <see cref="Models.ModelRuntime.OnnxRuntime"/>); null without a model.</summary>
    public Models.ModelRuntime? ModelRuntime => _pipeline.Model?.Runtime;

    /// <summary>What evaluates the model, for logs: the native program's shape, or ONNX Runtime and why the native evaluator does not apply.</summary>
    public string? ModelDescription => _pipeline.Model?.Description;

    /// <summary>The compute backend chosen at load (<see cref="EngineOptions.Compute"/>), its device and what runs there.</summary>
    public Compute.ComputeInfo Compute => _pipeline.Compute.Info;

    /// <summary>The loaded pipeline, for the diagnostics hooks.</summary>
    internal LoadedPipeline Pipeline => _pipeline;

    /// <summary>The request loop, for the diagnostics hooks.</summary>
    internal RequestLoop Loop => _loop;

    /// <summary>
    /// Loads a pipeline folder (or spec file). Throws <see cref="PipelineSpecException"/> naming the spec file and
    /// JSON path for any bad reference (including column types found in the data and a model whose input width
    /// differs from the inputs), and <see cref="Sampling.Errors.DataSourceException"/> for unreadable data files.
    /// </summary>
    public static async Task<BiathlonEngine> LoadAsync(string pipeline, EngineOptions? options = null, CancellationToken cancellationToken = default) =>
        new(await PipelineLoader.LoadAsync(pipeline, options ?? new EngineOptions(), cancellationToken).ConfigureAwait(false));

    /// <summary>
    /// Predicts within δ of the exact pipeline's prediction with confidence τ (the pipeline's, or
    /// <paramref name="options"/>'), sampling as little as the bound allows. Throws <see cref="RequestException"/>
    /// naming the field of a bad request before any data is read.
    /// </summary>
    public PredictionResult Predict(IReadOnlyDictionary<string, object?> request, PredictOptions? options = null, CancellationToken cancellationToken = default) =>
        Run(request, options, exact: false, cancellationToken);

    /// <summary>The exact pipeline's prediction: every query read completely, the model called once. The same code path as <see cref="Predict"/>.</summary>
    public PredictionResult PredictExact(IReadOnlyDictionary<string, object?> request, CancellationToken cancellationToken = default) =>
        Run(request, null, exact: true, cancellationToken);

    /// <summary>
    /// <see cref="Predict"/> without blocking a thread while a remote store answers: each round's fetch is awaited.
    /// For in-process tables it completes synchronously, with the same result.
    /// </summary>
    public ValueTask<PredictionResult> PredictAsync(IReadOnlyDictionary<string, object?> request, PredictOptions? options = null, CancellationToken cancellationToken = default) =>
        RunAsync(request, options, exact: false, cancellationToken);

    /// <summary><see cref="PredictExact"/> without blocking a thread while a remote store answers.</summary>
    public ValueTask<PredictionResult> PredictExactAsync(IReadOnlyDictionary<string, object?> request, CancellationToken cancellationToken = default) =>
        RunAsync(request, null, exact: true, cancellationToken);

    /// <summary>
    /// Appends <paramref name="rows"/> (column name → value) to the pipeline's Redis table <paramref name="table"/>,
    /// once per <paramref name="batchId"/> (a retried batch is acknowledged, not counted twice). This engine serves
    /// them from its next request; other servers within the store's cache TTL. Throws <see cref="Sampling.Errors.QueryException"/>
    /// for a table that is not a Redis table of this pipeline, <see cref="Sampling.Errors.SchemaException"/> naming the
    /// row and column of a value that does not fit, <see cref="Sampling.Errors.StoreUnavailableException"/> when
    /// Redis does not answer (retry with the same batch id).
    /// </summary>
    public async Task<Biathlon.Redis.AppendResult> AppendAsync(
        string table, IReadOnlyList<IReadOnlyDictionary<string, object?>> rows, string batchId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(table);
        ObjectDisposedException.ThrowIf(!TryBeginUse(), this);
        try
        {
            if (!_pipeline.Tables.TryGetValue(table, out var stored) || _pipeline.RedisStore is not { } store || !stored.IsRemote)
            {
                throw new Sampling.Errors.QueryException("table",
                    $"Pipeline '{_pipeline.Definition.Name}' has no Redis table '{table}' (appends go to tables with \"store\": \"redis\").");
            }

            return await store.AppendAsync(stored, rows, batchId, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            EndUse();
        }
    }

    /// <summary>True once <see cref="Dispose"/> was called (requests already running may still be finishing).</summary>
    public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <summary>
    /// Stops taking requests and frees the tables (memory-mapped files), the model and the pooled buffers once every
    /// request already running has finished: at once when none is, else when the last one ends. Idempotent.
    /// </summary>
    public void Dispose()
    {
        Volatile.Write(ref _disposed, 1);
        Retire();
    }

    /// <summary>
    /// Drops the owner's hold without refusing calls: the engine is freed when the last use ends. A registry retires
    /// a replaced version this way, since its callers reach it only through leases, which keep it in use.
    /// </summary>
    internal void Retire()
    {
        if (Interlocked.Exchange(ref _ownerReleased, 1) == 0)
        {
            Release();
        }
    }

    /// <summary>
    /// Holds the engine's resources until <see cref="EndUse"/>: false when the engine is disposed. For callers that make
    /// several calls under one lease (<see cref="Hosting.PipelineRegistry"/>).
    /// </summary>
    internal bool TryBeginUse() => !IsDisposed && _usage.TryAcquire();

    /// <summary>Ends one <see cref="TryBeginUse"/>.</summary>
    internal void EndUse() => Release();

    private void Release()
    {
        if (_usage.Release())
        {
            _pipeline.Dispose();
        }
    }

    private PredictionResult Run(IReadOnlyDictionary<string, object?> request, PredictOptions? options, bool exact, CancellationToken cancellationToken)
    {
        // In-process tables complete synchronously; a remote store's fetches are waited for here.
        var pending = RunAsync(request, options, exact, cancellationToken);
        return pending.IsCompletedSuccessfully ? pending.Result : pending.AsTask().GetAwaiter().GetResult();
    }

    private async ValueTask<PredictionResult> RunAsync(IReadOnlyDictionary<string, object?> request, PredictOptions? options, bool exact, CancellationToken cancellationToken)
    {
        // The tables are read through raw pointers into memory-mapped files: they must outlive every running request.
        ObjectDisposedException.ThrowIf(!TryBeginUse(), this);
        try
        {
            var name = _pipeline.Definition.Name;
            using var activity = EngineInstruments.ActivitySource.StartActivity("biathlon.predict");
            activity?.SetTag("biathlon.pipeline", name);
            activity?.SetTag("biathlon.mode", exact ? "exact" : "approximate");
            var context = _pipeline.RentContext();
            PredictionResult result;
            try
            {
                result = await _loop.RunAsync(context, request, options, exact, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                _pipeline.ReturnContext(context);
            }

            EngineInstruments.Record(name, exact, result);
            if (activity is not null)
            {
                activity.SetTag("biathlon.rounds", result.Rounds);
                activity.SetTag("biathlon.stop_reason", result.StopReason.ToString());
                activity.SetTag("biathlon.confidence", result.Confidence);
            }

            return result;
        }
        finally
        {
            EndUse();
        }
    }
}
