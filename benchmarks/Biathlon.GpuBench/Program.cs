using System.Globalization;
using Biathlon.Compute.Devices;
using Biathlon.Engine;
using Biathlon.Engine.Compute;
using Biathlon.GpuBench;

// usage: Biathlon.GpuBench --out DIR [--pipeline DIR --data DIR --requests FILE] [--simulate] [--quick]
//   --out       where gpu.md (the report) and gpu.log are written
//   --pipeline  the flight-delay pipeline folder (with model.onnx) for the tree and end-to-end sections
//   --data      the folder holding its data (flights-3m.parquet)
//   --requests  its requests file (harness: prepare --pipeline flight-delay --export-requests FILE)
//   --simulate  without a CUDA device, run every section on ILGPU's CPU accelerator at toy sizes (a dry run of this
//               program, not a measurement)
//   --quick     smaller sizes (for the dry run in CI)
var arguments = args.ToList();
string? Value(string name) => arguments.IndexOf(name) is var i and >= 0 && i + 1 < arguments.Count ? arguments[i + 1] : null;
var outFolder = Value("--out") ?? throw new ArgumentException("--out DIR is required");
var simulate = arguments.Contains("--simulate");
var quick = arguments.Contains("--quick") || simulate;
Directory.CreateDirectory(outFolder);
using var logFile = new StreamWriter(Path.Combine(outFolder, "gpu.log")) { AutoFlush = true };
var log = new TeeWriter(Console.Out, logFile);

var device = ComputeDevice.TryCreateCuda(0, out var reason);
var backend = ComputeBackend.Cuda;
if (device is null)
{
    log.WriteLine($"No CUDA device: {reason}.");
    if (!simulate)
    {
        return 2;
    }

    device = ComputeDevice.CreateCpuSimulator(1L << 30);
    backend = ComputeBackend.GpuSimulator;
}

var report = new GpuReport(device.Describe(), simulate, Environment.ProcessorCount);
log.WriteLine($"Device: {device.Describe()}; CPU cores: {Environment.ProcessorCount}");
using (device)
{
    log.WriteLine("Aggregation throughput:");
    report.Aggregates.AddRange(AggregateMeasurement.Run(device, quick, log));
    if (Value("--pipeline") is { } pipelineFolder)
    {
        var model = Path.Combine(pipelineFolder, "model.onnx");
        log.WriteLine("Tree ensemble:");
        report.Trees.AddRange(TreeMeasurement.Run(device, model, quick, log));
    }
}

if (Value("--pipeline") is { } pipelineArgument && Value("--requests") is { } requestsFile)
{
    log.WriteLine("End to end:");
    var pipeline = Path.GetFullPath(pipelineArgument);
    var data = Path.GetFullPath(Value("--data") ?? Path.Combine(pipeline, "..", "..", "data", "real"));
    using var probe = BiathlonEngine.LoadAsync(pipeline, new EngineOptions { DataDirectory = data, Compute = ComputeBackend.Cpu }).GetAwaiter().GetResult();
    var requests = RequestsFile.Read(requestsFile, probe.Definition.Request, quick ? 8 : 300);
    int[] levels = quick ? [1, 2] : [1, 8, 64];
    report.EndToEnd.AddRange(EndToEndMeasurement.Run(pipeline, data, requests, EndToEndMeasurement.Configurations(backend), levels, quick ? 8 : 2_000, log));
}

var markdown = report.ToMarkdown();
File.WriteAllText(Path.Combine(outFolder, "gpu.md"), markdown);
log.WriteLine($"Wrote {Path.Combine(outFolder, "gpu.md")}");
return 0;

internal sealed class TeeWriter(TextWriter first, TextWriter second) : TextWriter
{
    public override System.Text.Encoding Encoding => first.Encoding;

    public override IFormatProvider FormatProvider => CultureInfo.InvariantCulture;

    public override void Write(char value)
    {
        first.Write(value);
        second.Write(value);
    }

    public override void WriteLine(string? value)
    {
        first.WriteLine(value);
        second.WriteLine(value);
    }
}
