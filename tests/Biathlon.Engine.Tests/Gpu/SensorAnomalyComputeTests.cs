using System.Globalization;
using Biathlon.Engine.Compute;

namespace Biathlon.Engine.Tests.Gpu;

/// <summary>
/// The GPU path on the real Sensor-Anomaly pipeline (a binary MLP over keyed, windowed AVG, STD, MEDIAN, MIN and MAX
/// features of 10k sensor readings), on ILGPU's CPU accelerator: its dense layers run on the device and its aggregates
/// (moments, co-moments and the per-job sorts behind MEDIAN, MIN and MAX) too, and every label and feature agrees with
/// the CPU path. 12 readings spread over the file; exact shortcut off so each request samples and propagates.
/// </summary>
public sealed class SensorAnomalyComputeTests
{
    private static readonly PredictOptions s_sampled = new() { ExactShortcut = false };

    [Fact]
    public async Task The_mlp_and_its_aggregates_run_on_the_device_and_agree_with_the_cpu()
    {
        var folder = Path.Combine(RealData.RepositoryRoot, "pipelines", "sensor-anomaly");
        using var cpu = await BiathlonEngine.LoadAsync(folder, new EngineOptions { DataDirectory = RealData.Directory, Compute = ComputeBackend.Cpu });
        using var gpu = await BiathlonEngine.LoadAsync(folder, new EngineOptions { DataDirectory = RealData.Directory, Compute = ComputeBackend.GpuSimulator });
        Assert.True(gpu.Compute.AggregatesOnDevice, gpu.Compute.ToString());
        Assert.True(gpu.Compute.ModelOnDevice);
        Assert.Contains("dense layer(s) on the device", gpu.Compute.Model, StringComparison.Ordinal);

        foreach (var request in Requests(RealData.Require("sensors", "wsn-multi-hop.csv"), 12))
        {
            var expected = cpu.Predict(request, s_sampled);
            var actual = gpu.Predict(request, s_sampled);
            Assert.Equal(new ComputeUse(ComputeBackend.GpuSimulator, true, actual.Compute.ModelOnDevice, null), actual.Compute);
            Assert.Equal(expected.Value, actual.Value); // the label
            Assert.Equal(expected.Rounds, actual.Rounds);
            for (var f = 0; f < expected.Features.Count; f++)
            {
                var e = expected.Features[f];
                var a = actual.Features[f];
                Assert.Equal(e.Error, a.Error);
                Assert.Equal(e.Value, a.Value, 1e-9 * (1 + Math.Abs(e.Value)));
                Assert.Equal(e.StdError, a.StdError, 1e-9 * (1 + Math.Abs(e.StdError)));
            }
        }

        // Some of the 12 propagated a design (the others were exact by the end): those ran the MLP on the device.
        Assert.Contains(Requests(RealData.Require("sensors", "wsn-multi-hop.csv"), 12), r => gpu.Predict(r, s_sampled).Compute.ModelOnDevice);
    }

    // Every (rows / count)-th reading of the file, as a request (reading, mote, indoor, temperature, humidity).
    private static List<Dictionary<string, object?>> Requests(string csv, int count)
    {
        var lines = File.ReadAllLines(csv);
        var header = lines[0].Split(',');
        int Column(string name) => Array.IndexOf(header, name);
        var requests = new List<Dictionary<string, object?>>();
        for (var i = 0; i < count; i++)
        {
            var cells = lines[1 + (int)((long)(i + 1) * (lines.Length - 2) / (count + 1))].Split(',');
            requests.Add(new Dictionary<string, object?>
            {
                ["mote"] = long.Parse(cells[Column("mote_id")], CultureInfo.InvariantCulture),
                ["indoor"] = long.Parse(cells[Column("indoor")], CultureInfo.InvariantCulture),
                ["reading"] = long.Parse(cells[Column("reading")], CultureInfo.InvariantCulture),
                ["temperature"] = double.Parse(cells[Column("temperature")], CultureInfo.InvariantCulture),
                ["humidity"] = double.Parse(cells[Column("humidity")], CultureInfo.InvariantCulture),
            });
        }

        return requests;
    }
}
