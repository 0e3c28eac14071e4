using System.Diagnostics;
using Biathlon.Engine;
using Biathlon.Host.Configuration;
using Biathlon.Host.Metrics;
using Biathlon.Host.Pipelines;
using Biathlon.Sampling.Errors;
using Microsoft.Extensions.Options;

namespace Biathlon.Host.Serving;

/// <summary>
/// Serves one call for any transport: checks the per-call overrides against the operator's limits, waits for an
/// admission slot within the call's deadline, leases the pipeline's serving version, runs the engine, records the
/// audit trail (refusing the call if the audit queue is full), feeds the recent-predictions list and offers the
/// prediction to a shadow. Throws <see cref="ServeException"/> for everything a caller can get wrong or the server
/// refuses; anything else is a server fault.
/// </summary>
internal sealed class PredictionService(
    PipelineCatalog catalog,
    AdmissionGate gate,
    IAuditTrail audit,
    ShadowRunner shadow,
    IEnumerable<IPredictionObserver> observers,
    ServerInstruments instruments,
    IOptions<ServerOptions> options)
{
    private readonly LimitOptions _limits = options.Value.Limits;
    private readonly IPredictionObserver[] _observers = observers.ToArray();

    /// <summary>Serves <paramref name="call"/>; <paramref name="cancellationToken"/> is the caller going away.</summary>
    public async Task<ServeOutcome> ServeAsync(ServeCall call, CancellationToken cancellationToken)
    {
        var deadline = DeadlineOf(call.DeadlineMs);
        CheckOverridesShape(call);
        var remaining = deadline - Stopwatch.GetElapsedTime(call.ArrivedTimestamp);
        if (remaining <= TimeSpan.Zero)
        {
            throw new ServeException(503, "Deadline passed", "The call's deadline passed before it could run.", retryAfter: TimeSpan.FromSeconds(1));
        }

        using var slot = await gate.EnterAsync(remaining, cancellationToken).ConfigureAwait(false);
        using var lease = catalog.Lease(call.Pipeline);
        var engine = lease.Engine;
        var predictOptions = call.Exact ? null : OptionsFor(call, engine);
        var results = new PredictionResult[call.Requests.Count];
        long sequence = 0;
        for (var i = 0; i < results.Length; i++)
        {
            var request = call.Requests[i];
            var left = deadline - Stopwatch.GetElapsedTime(call.ArrivedTimestamp);
            results[i] = await RunAsync(engine, request, call, predictOptions, left, i, cancellationToken).ConfigureAwait(false);
            var served = new ServedPrediction(DateTimeOffset.UtcNow, call.Pipeline, lease.Version, engine.ModelDescription, request, results[i], call.Exact, call.Caller.Name);
            if (audit.Enabled && !audit.TryRecord(served, out sequence))
            {
                instruments.Rejected("audit_full");
                throw new ServeException(503, "Audit queue full", "The audit log is not keeping up; the prediction was not returned because it could not be recorded.", retryAfter: TimeSpan.FromSeconds(1));
            }

            foreach (var observer in _observers)
            {
                observer.Served(served);
            }

            if (!call.Exact)
            {
                shadow.Offer(call.Pipeline, request, predictOptions!, results[i]);
            }
        }

        return new ServeOutcome(call.Pipeline, lease.Version, results, sequence, audit.Enabled ? audit.DurableSequence : 0);
    }

    /// <summary>
    /// Runs one request on the engine without blocking a thread on a remote store. A store that does not answer, or
    /// that holds a damaged value (never served), fails the call with 503: the server's store, not the caller, is at fault.
    /// </summary>
    private static async Task<PredictionResult> RunAsync(BiathlonEngine engine, Dictionary<string, object?> request, ServeCall call, PredictOptions? predictOptions, TimeSpan left, int index, CancellationToken cancellationToken)
    {
        var prefix = call.Batch ? $"requests[{index}]" : "request";
        if (left <= TimeSpan.Zero)
        {
            throw new ServeException(504, "Deadline exceeded", $"The call's deadline passed before {prefix} could run.");
        }

        try
        {
            if (!call.Exact)
            {
                return await engine.PredictAsync(request, predictOptions! with { Deadline = left }, cancellationToken).ConfigureAwait(false);
            }

            // The exact path reads everything and has no early answer: the deadline cancels it.
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(left);
            try
            {
                return await engine.PredictExactAsync(request, timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new ServeException(504, "Deadline exceeded", $"The exact prediction of {prefix} did not finish within the call's deadline.");
            }
        }
        catch (RequestException e)
        {
            throw ServeException.BadField($"{prefix}.{e.Field}", e.Message);
        }
        catch (QueryException e)
        {
            // A request value a query cannot use that the engine reports as a query error: the caller's fault. (A window
            // bound that overflows and a key no row can hold are RequestExceptions naming their field.)
            throw ServeException.BadField(prefix, e.Message);
        }
        catch (SchemaException e)
        {
            // A request value that does not fit a key column (an Int64 key's reserved minimum, say): the caller's fault.
            throw ServeException.BadField(prefix, e.Message);
        }
        catch (StoreUnavailableException e)
        {
            throw StoreUnavailable(e);
        }
        catch (DataSourceException e)
        {
            throw StoreDamaged(e);
        }
    }

    /// <summary>A 503 for a store that did not answer (down or too slow): the call changed nothing and may be retried.</summary>
    public static ServeException StoreUnavailable(StoreUnavailableException e) =>
        new(503, "Store unavailable", $"The pipeline's store ({e.Store}) is unavailable; retry shortly. {e.Message}", retryAfter: TimeSpan.FromSeconds(1));

    /// <summary>A 503 for a stored value that is damaged or missing: it was not used, and nothing was served from it.</summary>
    public static ServeException StoreDamaged(DataSourceException e) =>
        new(503, "Stored data unusable", $"The pipeline's store holds a damaged or missing value, which was not used: {e.Message}");

    private TimeSpan DeadlineOf(double? deadlineMs)
    {
        if (deadlineMs is not { } ms)
        {
            return TimeSpan.FromMilliseconds(_limits.DefaultDeadlineMs);
        }

        if (!(ms > 0 && ms <= _limits.MaxDeadlineMs))
        {
            throw ServeException.BadField("deadlineMs", $"'deadlineMs' must be above 0 and at most {_limits.MaxDeadlineMs}; got {ms}.");
        }

        return TimeSpan.FromMilliseconds(ms);
    }

    private void CheckOverridesShape(ServeCall call)
    {
        if (call.Exact && (call.Delta is not null || call.Tau is not null))
        {
            throw ServeException.BadField(call.Delta is not null ? "delta" : "tau", "An exact prediction takes no δ or τ.");
        }

        if (call.Tau is { } tau && !(tau >= _limits.MinTau && tau <= _limits.MaxTau))
        {
            throw ServeException.BadField("tau", $"'tau' must be between {_limits.MinTau} and {_limits.MaxTau}; got {tau}.");
        }
    }

    private PredictOptions OptionsFor(ServeCall call, BiathlonEngine engine)
    {
        if (call.Delta is not null && engine.Definition.Bound.DeltaField is { } deltaField)
        {
            // The operator's δ limits are multiples of the pipeline's δ, and this pipeline has none of its own.
            throw ServeException.BadField("delta",
                $"Pipeline '{call.Pipeline}' takes each request's δ from its field '{deltaField}'; set δ there, not as 'delta'.");
        }

        if (call.Delta is { } delta)
        {
            var low = engine.Delta * _limits.MinDeltaRatio;
            var high = engine.Delta * _limits.MaxDeltaRatio;
            if (!(delta >= low && delta <= high))
            {
                throw ServeException.BadField("delta", $"'delta' must be between {low:G4} and {high:G4} for pipeline '{call.Pipeline}' (its δ is {engine.Delta:G4}); got {delta}.");
            }
        }

        return new PredictOptions { Delta = call.Delta, Tau = call.Tau };
    }
}
