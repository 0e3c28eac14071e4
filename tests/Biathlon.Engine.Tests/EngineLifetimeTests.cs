using Biathlon.Engine.Hosting;
using Biathlon.Engine.Specs;

namespace Biathlon.Engine.Tests;

/// <summary>
/// Disposing an engine, or reloading a pipeline in a registry, while requests run must not free the tables under
/// them: the tables are memory-mapped files read through raw pointers, so freeing them early would crash the process,
/// not throw. Real Flight-Delay pipeline (its own engines, loaded from the fixture's prepared folder), 200 held-out
/// June requests served from 2 threads.
/// </summary>
[Collection(FlightDelayCollection.Name)]
public sealed class EngineLifetimeTests(FlightDelayFixture pipeline)
{
    /// <summary>
    /// Two threads serve the requests in a loop; Dispose is called after the 20th result. Every call either returns a
    /// result that equals the same request's result on the fixture's engine, or throws ObjectDisposedException; at
    /// least one call finishes after Dispose was called and still answers correctly.
    /// </summary>
    [Fact]
    public async Task Dispose_while_requests_run_lets_them_finish_and_refuses_new_ones()
    {
        var engine = await BiathlonEngine.LoadAsync(pipeline.Folder, new EngineOptions { DataDirectory = RealData.Directory });
        var requests = pipeline.Test.Select(r => r.ToRequest()).ToArray();
        var expected = requests.Select(r => pipeline.Engine.PredictExact(r).Value).ToArray();
        int served = 0, refused = 0, finishedAfterDispose = 0, wrong = 0;
        var disposed = 0;
        void Serve(int offset)
        {
            for (var i = offset; i < requests.Length; i += 2)
            {
                try
                {
                    var wasDisposed = Volatile.Read(ref disposed) == 1;
                    var value = engine.PredictExact(requests[i]).Value;
                    if (value != expected[i])
                    {
                        Interlocked.Increment(ref wrong);
                    }

                    if (!wasDisposed && Volatile.Read(ref disposed) == 1)
                    {
                        Interlocked.Increment(ref finishedAfterDispose);
                    }

                    if (Interlocked.Increment(ref served) == 20)
                    {
                        Volatile.Write(ref disposed, 1);
                        engine.Dispose();
                    }
                }
                catch (ObjectDisposedException)
                {
                    Interlocked.Increment(ref refused);
                }
            }
        }

        await Task.WhenAll(Task.Run(() => Serve(0)), Task.Run(() => Serve(1)));
        Assert.Equal(0, wrong);
        Assert.True(engine.IsDisposed);
        Assert.True(served >= 20, $"only {served} requests served");
        Assert.True(refused > 0, "no request was refused after Dispose");
        Assert.Equal(requests.Length, served + refused);
        Assert.Throws<ObjectDisposedException>(() => engine.Predict(requests[0]));
        engine.Dispose(); // idempotent
    }

    /// <summary>
    /// A lease taken before a reload keeps serving its version (the same results as before), the registry hands new
    /// leases on the new version, and the old version is freed only when its last lease ends.
    /// </summary>
    [Fact]
    public async Task Reload_swaps_versions_while_a_held_lease_keeps_the_old_one_loaded()
    {
        using var registry = new PipelineRegistry();
        var options = new EngineOptions { DataDirectory = RealData.Directory };
        Assert.Equal(1, await registry.LoadAsync("flight-delay", pipeline.Folder, options));
        var request = pipeline.Test[0].ToRequest();
        var expected = pipeline.Engine.PredictExact(request).Value;

        var old = registry.Lease("flight-delay");
        Assert.Equal(1, old.Version);
        Assert.Equal(2, await registry.LoadAsync("flight-delay", pipeline.Folder, options));
        using (var current = registry.Lease("flight-delay"))
        {
            Assert.Equal(2, current.Version);
            Assert.Equal(expected, current.Engine.PredictExact(request).Value);
        }

        // Version 1 is retired but leased: it still serves, from its own tables.
        var oldEngine = old.Engine;
        Assert.Equal(expected, oldEngine.PredictExact(request).Value);
        old.Dispose();
        old.Dispose(); // idempotent
        Assert.Throws<ObjectDisposedException>(() => old.Engine);
        Assert.Throws<ObjectDisposedException>(() => oldEngine.PredictExact(request));

        var missing = Assert.Throws<KeyNotFoundException>(() => registry.Lease("flight-late"));
        Assert.Contains("flight-late", missing.Message);
        await Assert.ThrowsAsync<PipelineSpecException>(() => registry.LoadAsync("flight-delay", Path.Combine(pipeline.Folder, "no-such-spec.json"), options));
        Assert.Equal(2, registry.VersionOf("flight-delay")); // a failed reload leaves the serving version in place
    }
}
