using BenchmarkDotNet.Attributes;
using Biathlon.Engine;

namespace Biathlon.Benchmarks;

// Whole requests through the public engine API, one at a time: PredictExact, Predict (the pipeline's settings: exact
// shortcut on) and Predict with the exact shortcut off, over the same 64 real held-out requests (the harness's test
// split, evenly spread over it; HeldOutRequests). One invocation serves all 64, so Mean reads as time per request and
// Allocated as bytes per request. The engine is loaded and every request served twice by each method in GlobalSetup,
// so pooled contexts are warm and the shortcut's cost model has measured traffic, as in a serving process. Repeating
// the same 64 requests lets CPU caches and branch predictors learn more than live traffic would allow.
public class EndToEndBenchmarks
{
    public const int Requests = 64;

    private static readonly PredictOptions s_noShortcut = new() { ExactShortcut = false };

    private BiathlonEngine _engine = null!;
    private Dictionary<string, object?>[] _requests = [];

    // flight-delay: 6 queries over 3M flights (hundreds of thousands of rows per exact request), 100 trees.
    // sensor-anomaly: 4 queries over 10k sensor readings (a few hundred rows per request), an MLP, binary.
    [Params("flight-delay", "sensor-anomaly")]
    public string Pipeline { get; set; } = "flight-delay";

    [GlobalSetup]
    public void Setup()
    {
        var requests = HeldOutRequests.Spread(HeldOutRequests.Prepare(Pipeline), Requests);
        _engine = BiathlonEngine.LoadAsync(HeldOutRequests.PipelineFolder(Pipeline), new EngineOptions { DataDirectory = HeldOutRequests.DataDirectory })
            .GetAwaiter().GetResult();
        _requests = new Dictionary<string, object?>[requests.Length];
        for (var i = 0; i < requests.Length; i++)
        {
            _requests[i] = requests[i].ToRequest();
        }

        for (var pass = 0; pass < 2; pass++)
        {
            foreach (var request in _requests)
            {
                _engine.PredictExact(request);
                _engine.Predict(request);
                _engine.Predict(request, s_noShortcut);
            }
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _engine.Dispose();

    [Benchmark(Baseline = true, OperationsPerInvoke = Requests, Description = "PredictExact")]
    public double Exact()
    {
        double sum = 0;
        foreach (var request in _requests)
        {
            sum += _engine.PredictExact(request).Value;
        }

        return sum;
    }

    [Benchmark(OperationsPerInvoke = Requests, Description = "Predict")]
    public double Predict()
    {
        double sum = 0;
        foreach (var request in _requests)
        {
            sum += _engine.Predict(request).Value;
        }

        return sum;
    }

    [Benchmark(OperationsPerInvoke = Requests, Description = "Predict, ExactShortcut = false")]
    public double PredictNoShortcut()
    {
        double sum = 0;
        foreach (var request in _requests)
        {
            sum += _engine.Predict(request, s_noShortcut).Value;
        }

        return sum;
    }
}
