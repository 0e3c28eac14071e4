using System.Globalization;
using Biathlon.Engine;
using Biathlon.Engine.Diagnostics;
using Biathlon.Engine.Models;
using Biathlon.Engine.Specs;
using Biathlon.Experiments.Pipelines;

namespace Biathlon.Experiments.Baselines;

/// <summary>
/// The stale-feature-cache baseline (RALF-like, after the reference system's §8.3): each feature query's aggregates
/// are kept per key (its key fields' values); serving reads the cache (a key seen for the first time gets the fill
/// values, then is stored); after each request, ⌊(t − t_last_refresh) · budget⌋ keys with the largest accumulated
/// regret (squared prediction error of the requests they served) are refreshed exactly at the current request time.
/// Accuracy only: refreshes run "in the background", so latency is not compared.
/// </summary>
/// <remarks>Labels are fed back immediately (the reference waits until a label's timestamp has passed).</remarks>
public sealed class StaleFeatureCache
{
    private readonly BiathlonEngine _engine;
    private readonly PipelineDiagnostics _diagnostics;
    private readonly OnnxModel _model;
    private readonly double _refreshesPerHour;
    private readonly int[][] _inputsOfQuery;
    private readonly Dictionary<string, Entry>[] _caches;
    private readonly float[] _row;
    private readonly float[] _exact;
    private readonly float[] _output = new float[1];
    private readonly BaselineRequest _request;
    private DateTime? _lastRefresh;

    /// <summary>Creates an empty cache over <paramref name="engine"/>'s queries.</summary>
    /// <param name="engine">Computes exact features on refresh.</param>
    /// <param name="model">The pipeline's model.</param>
    /// <param name="refreshesPerHour">Refresh budget per hour of request-stream time.</param>
    public StaleFeatureCache(BiathlonEngine engine, OnnxModel model, double refreshesPerHour)
    {
        _engine = engine;
        _diagnostics = new PipelineDiagnostics(engine);
        _model = model;
        _refreshesPerHour = refreshesPerHour;
        var definition = engine.Definition;
        _inputsOfQuery = definition.Queries
            .Select((_, q) => definition.Inputs.Select((input, i) => (input, i)).Where(p => p.input.Query == q).Select(p => p.i).ToArray())
            .ToArray();
        _caches = definition.Queries.Select(_ => new Dictionary<string, Entry>(StringComparer.Ordinal)).ToArray();
        _row = new float[definition.Inputs.Count];
        _exact = new float[definition.Inputs.Count];
        _request = new BaselineRequest(definition);
    }

    /// <summary>Refreshes done so far.</summary>
    public int Refreshes { get; private set; }

    /// <summary>Serves one request from the cache, then feeds its error back and spends the refresh budget.</summary>
    public double Serve(HarnessRequest request)
    {
        var definition = _engine.Definition;

        // Request features are current (the engine computes them: categorical inputs, fills); cached query features
        // may be stale. The engine also refuses what it refuses (an unknown key under unknownKeys "error", ...).
        _diagnostics.ComputeExactFeatures(request.Fields, _exact);
        _request.Read(request.Fields);
        for (var i = 0; i < _row.Length; i++)
        {
            var input = definition.Inputs[i];
            _row[i] = input.Query < 0 ? _exact[i] : (float)definition.Queries[input.Query].Aggregates[input.Aggregate].Fill;
        }

        var entries = new Entry[_caches.Length];
        for (var q = 0; q < _caches.Length; q++)
        {
            var key = Key(definition.Queries[q]);
            if (!_caches[q].TryGetValue(key, out var entry))
            {
                entry = new Entry(request, _inputsOfQuery[q].Select(i => _row[i]).ToArray());
                _caches[q][key] = entry;
            }

            entries[q] = entry;
            for (var k = 0; k < _inputsOfQuery[q].Length; k++)
            {
                _row[_inputsOfQuery[q][k]] = entry.Values[k];
            }
        }

        _model.EvaluateRowMajor(_row, 1, _output);
        var prediction = _output[0];
        var error = prediction - request.Label;
        foreach (var entry in entries)
        {
            entry.Regret += error * error;
        }

        Refresh(request);
        return prediction;
    }

    private void Refresh(HarnessRequest now)
    {
        _lastRefresh ??= now.Time;
        var budget = (int)Math.Floor((now.Time - _lastRefresh.Value).TotalHours * _refreshesPerHour);
        if (budget <= 0)
        {
            return;
        }

        var worst = _caches
            .SelectMany((cache, q) => cache.Values.Select(entry => (q, entry)))
            .OrderByDescending(p => p.entry.Regret)
            .Take(budget)
            .ToArray();
        foreach (var (q, entry) in worst)
        {
            // The key's own fields with the current request's time: what the query would compute now.
            var fields = new Dictionary<string, object?>(entry.Request.Fields);
            foreach (var (name, value) in now.Fields)
            {
                if (!_engine.Definition.Queries[q].Keys.Any(k => k.Value == name))
                {
                    fields[name] = value;
                }
            }

            _diagnostics.ComputeExactFeatures(fields, _exact);
            for (var k = 0; k < _inputsOfQuery[q].Length; k++)
            {
                entry.Values[k] = _exact[_inputsOfQuery[q][k]];
            }

            entry.Regret = 0;
            Refreshes++;
        }

        _lastRefresh = now.Time;
    }

    /// <summary>The cache key of the last read request for <paramref name="query"/>: its key fields' values, fills applied.</summary>
    private string Key(QueryDefinition query)
    {
        if (query.Keys.Count == 0)
        {
            return "";
        }

        var definition = _engine.Definition;
        return string.Join("\u001f", query.Keys.Select(k =>
        {
            var field = BaselineRequest.FieldIndex(definition, k.Value);
            return definition.Request[field].Type switch
            {
                RequestFieldType.String => _request.Strings[field],
                RequestFieldType.Number => _request.Numbers[field].ToString("R", CultureInfo.InvariantCulture),
                _ => _request.Integers[field].ToString(CultureInfo.InvariantCulture),
            };
        }));
    }

    private sealed class Entry(HarnessRequest request, float[] values)
    {
        public HarnessRequest Request { get; } = request;

        public float[] Values { get; } = values;

        public double Regret { get; set; }
    }
}
