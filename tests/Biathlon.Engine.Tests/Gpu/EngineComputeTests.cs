using Biathlon.Engine.Compute;
using Biathlon.Sampling.Errors;
using Microsoft.Extensions.Logging;

namespace Biathlon.Engine.Tests.Gpu;

/// <summary>
/// The compute backend through the public engine API on the real Flight-Delay pipeline: the GPU path run on ILGPU's
/// CPU accelerator (<see cref="ComputeBackend.GpuSimulator"/>) gives the CPU's predictions, reports where it ran,
/// batches concurrent requests without changing their answers, and falls back to the CPU, with a warning and a
/// metric, when the device's memory budget is too small or the device is lost mid-stream. The exact shortcut is off
/// so every request samples and propagates (the paths under test).
/// </summary>
[Collection(FlightDelayCollection.Name)]
public sealed class EngineComputeTests(FlightDelayFixture pipeline)
{
    private static readonly PredictOptions s_sampled = new() { ExactShortcut = false };

    [Fact]
    public async Task The_gpu_path_serves_the_cpu_paths_predictions_and_says_it_ran_on_the_device()
    {
        using var gpu = await Load(new EngineOptions { Compute = ComputeBackend.GpuSimulator });
        Assert.Equal(ComputeBackend.GpuSimulator, gpu.Compute.Backend);
        Assert.True(gpu.Compute.AggregatesOnDevice, gpu.Compute.ToString());
        Assert.True(gpu.Compute.ModelOnDevice);
        Assert.Equal("on the device", gpu.Compute.Aggregates);
        Assert.Contains("tree ensemble on the device", gpu.Compute.Model, StringComparison.Ordinal);

        foreach (var flight in pipeline.Test.Take(4))
        {
            var request = flight.ToRequest();
            var cpu = pipeline.Engine.Predict(request, s_sampled);
            var device = gpu.Predict(request, s_sampled);
            Assert.Equal(new ComputeUse(ComputeBackend.GpuSimulator, true, true, null), device.Compute);
            Assert.Equal(cpu.Rounds, device.Rounds);
            Assert.Equal(cpu.Seed, device.Seed);
            Assert.Equal(cpu.Value, device.Value, 1e-4 * (1 + Math.Abs(cpu.Value)));
            Assert.Equal(cpu.Confidence, device.Confidence, 0.01);
            for (var f = 0; f < cpu.Features.Count; f++)
            {
                Assert.Equal(cpu.Features[f].Value, device.Features[f].Value, 1e-9 * (1 + Math.Abs(cpu.Features[f].Value)));
                Assert.Equal(cpu.Features[f].StdError, device.Features[f].StdError, 1e-9 * (1 + Math.Abs(cpu.Features[f].StdError)));
            }

            var exact = gpu.PredictExact(request);
            Assert.Equal(pipeline.Engine.PredictExact(request).Value, exact.Value, 1e-4 * (1 + Math.Abs(exact.Value)));
        }

        Assert.Equal(ComputeBackend.Cpu, pipeline.Engine.Predict(pipeline.Test[0].ToRequest()).Compute.Backend);
    }

    [Fact]
    public async Task Concurrent_requests_batched_into_shared_launches_get_the_answers_they_get_alone()
    {
        // A 10 ms bound (the most allowed) so eight callers' rounds really do share launches on a 2-core machine.
        using var gpu = await Load(new EngineOptions { Compute = ComputeBackend.GpuSimulator, ComputeBatchWait = TimeSpan.FromMilliseconds(10) });
        var requests = pipeline.Test.Take(16).Select(f => f.ToRequest()).ToArray();
        var alone = requests.Select(r => gpu.Predict(r, s_sampled).Value).ToArray();

        var batchSizes = new List<int>();
        using var listener = EngineMeterListener.Listen<int>("biathlon.engine.compute.batch_size", (value, _) => batchSizes.Add(value));
        var together = new PredictionResult[requests.Length];

        // Eight threads of their own, released together: pool workers grow one at a time on two busy cores, so a
        // Parallel.For could run the requests nearly one after another and share nothing.
        const int Callers = 8;
        using var start = new Barrier(Callers);
        var failures = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        var callers = new Thread[Callers];
        for (var c = 0; c < Callers; c++)
        {
            var caller = c;
            callers[c] = new Thread(() =>
            {
                try
                {
                    start.SignalAndWait();
                    for (var i = caller; i < requests.Length; i += Callers)
                    {
                        together[i] = gpu.Predict(requests[i], s_sampled);
                    }
                }
                catch (Exception e)
                {
                    failures.Enqueue(e);
                }
            });
            callers[c].Start();
        }

        foreach (var thread in callers)
        {
            thread.Join();
        }

        Assert.Empty(failures);

        Assert.All(together, r => Assert.Equal(new ComputeUse(ComputeBackend.GpuSimulator, true, true, null), r.Compute));
        Assert.Equal(alone, together.Select(r => r.Value)); // bit for bit: a request's answer does not depend on who shared its launches
        Assert.Contains(batchSizes, n => n > 1);
    }

    [Fact]
    public async Task A_device_memory_budget_too_small_for_the_columns_keeps_the_work_on_the_cpu()
    {
        using var gpu = await Load(new EngineOptions { Compute = ComputeBackend.GpuSimulator, DeviceMemoryBudget = 64 << 10 });
        Assert.False(gpu.Compute.AggregatesOnDevice);
        Assert.StartsWith("on the CPU (the device memory budget refused the queries' columns", gpu.Compute.Aggregates, StringComparison.Ordinal);
        Assert.Contains(gpu.Compute.Aggregates, gpu.Compute.ToString(), StringComparison.Ordinal);

        var request = pipeline.Test[1].ToRequest();
        var result = gpu.Predict(request, s_sampled);
        Assert.False(result.Compute.AggregatesOnDevice);
        Assert.Equal(pipeline.Engine.Predict(request, s_sampled).Value, result.Value, 1e-4 * (1 + Math.Abs(result.Value)));
    }

    [Fact]
    public async Task A_device_lost_mid_stream_falls_back_to_the_cpu_with_a_warning_and_a_metric()
    {
        var log = new ListLogger();
        // A budget of its own gives this engine its own simulated device, so losing it touches no other test.
        using var gpu = await Load(new EngineOptions { Compute = ComputeBackend.GpuSimulator, DeviceMemoryBudget = 3L << 30, Logger = log });
        var requests = pipeline.Test.Skip(4).Take(3).Select(f => f.ToRequest()).ToArray();
        Assert.Null(gpu.Predict(requests[0], s_sampled).Compute.Fallback);

        var fallbacks = new List<string?>();
        using var listener = EngineMeterListener.Listen<long>("biathlon.engine.compute.fallbacks", (_, tags) => fallbacks.Add(tags.GetValueOrDefault("reason")));
        gpu.Pipeline.Compute.Device!.Accelerator.Dispose(); // the device goes away under the engine

        foreach (var request in requests)
        {
            var result = gpu.Predict(request, s_sampled);
            Assert.NotNull(result.Compute.Fallback);
            Assert.False(result.Compute.AggregatesOnDevice);
            Assert.False(result.Compute.ModelOnDevice);
            Assert.Equal(pipeline.Engine.Predict(request, s_sampled).Value, result.Value, 1e-4 * (1 + Math.Abs(result.Value)));
        }

        Assert.Equal(["device"], fallbacks); // counted once, when it failed; later requests stay on the CPU
        var warning = Assert.Single(log.Entries, e => e.Level == LogLevel.Warning);
        Assert.Contains("fell back to the CPU", warning.Message, StringComparison.Ordinal);
        Assert.Contains(log.Entries, e => e.Level == LogLevel.Information && e.Message.Contains("compute backend gpuSimulator", StringComparison.Ordinal));
    }

    [Fact]
    public void A_device_that_failed_before_the_pipeline_loads_leaves_its_work_on_the_cpu_instead_of_failing_the_load()
    {
        // A budget of its own: this test's simulated device is not shared with any other engine.
        var options = new EngineOptions { Compute = ComputeBackend.GpuSimulator, DeviceMemoryBudget = (3L << 30) + 1 };
        using var compute = PipelineCompute.Create("flight-delay", options);
        compute.Device!.MarkFailed(new InvalidOperationException("device lost")); // as another pipeline's fallback would

        compute.Attach(pipeline.Engine.Pipeline.Queries, pipeline.Engine.Pipeline.Model, options.ComputeBatchWait, progress: null);

        var info = compute.Info;
        Assert.False(info.AggregatesOnDevice, info.ToString());
        Assert.False(info.ModelOnDevice);
        Assert.Equal("on the CPU (the device failed earlier: InvalidOperationException: device lost)", info.Aggregates);
        Assert.Equal(info.Aggregates, info.Model);
        Assert.Equal(0, compute.Device.Memory.Used); // nothing was uploaded
        Assert.False(compute.DeviceUsable);
        Assert.Null(compute.Aggregates);
        Assert.Null(compute.Model);
    }

    [SkippableFact]
    public async Task Auto_without_a_cuda_device_runs_on_the_cpu_and_says_why()
    {
        using var engine = await Load(new EngineOptions());
        Skip.If(engine.Compute.Backend == ComputeBackend.Cuda, "this machine has a CUDA device");
        Assert.Equal(ComputeBackend.Auto, engine.Compute.Requested);
        Assert.Equal(ComputeBackend.Cpu, engine.Compute.Backend);
        Assert.StartsWith("auto: ", engine.Compute.Reason, StringComparison.Ordinal);
        Assert.Null(engine.Compute.Device);
    }

    [SkippableFact]
    public async Task Forcing_cuda_without_a_device_fails_the_load_naming_the_option()
    {
        using (var probe = await Load(new EngineOptions()))
        {
            Skip.If(probe.Compute.Backend == ComputeBackend.Cuda, "this machine has a CUDA device");
        }

        var e = await Assert.ThrowsAsync<ConfigurationException>(() => Load(new EngineOptions { Compute = ComputeBackend.Cuda }));
        Assert.Equal("Compute", e.Option);
        Assert.Contains("CUDA", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(20_000)]
    public async Task A_batch_wait_outside_zero_to_ten_milliseconds_is_refused(int microseconds)
    {
        var e = await Assert.ThrowsAsync<ConfigurationException>(() =>
            Load(new EngineOptions { Compute = ComputeBackend.GpuSimulator, ComputeBatchWait = TimeSpan.FromMicroseconds(microseconds) }));
        Assert.Equal("ComputeBatchWait", e.Option);
    }

    private Task<BiathlonEngine> Load(EngineOptions options) =>
        BiathlonEngine.LoadAsync(pipeline.Folder, options with
        {
            DataDirectory = RealData.Directory,
            CacheDirectory = Path.Combine(pipeline.Folder, ".cache"),
        });

    private sealed class ListLogger : ILogger
    {
        public List<(LogLevel Level, string Message)> Entries { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (Entries)
            {
                Entries.Add((logLevel, formatter(state, exception)));
            }
        }
    }
}
