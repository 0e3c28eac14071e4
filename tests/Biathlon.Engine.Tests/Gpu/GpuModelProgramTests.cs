using Biathlon.Compute.Devices;
using Biathlon.Engine.Models.Export;
using Biathlon.Engine.Models.Gpu;
using Biathlon.Engine.Models.Native;
using Biathlon.Engine.Models.Onnx;
using Biathlon.Planner.Propagation;

namespace Biathlon.Engine.Tests.Gpu;

/// <summary>
/// What <see cref="GpuModelProgram.TryCompile"/> puts on the device (the longest prefix of steps with a kernel, an
/// activation fused into its dense layer) and what it refuses, with the reason for the logs. On the CPU simulator.
/// </summary>
public sealed class GpuModelProgramTests(CpuSimulatorFixture fixture) : IClassFixture<CpuSimulatorFixture>
{
    [Fact]
    public void A_forest_runs_its_tree_step_on_the_device()
    {
        var rows = GpuTestModels.Rows(41, 20);
        AssertDeviceSteps(GpuTestModels.ForestRegressor(41), 1, 1);
        var classifier = GpuTestModels.ForestClassifier(41, rows);
        AssertDeviceSteps(classifier, 1, classifier.Steps.Length); // calibration, sigmoid and threshold stay on the CPU
    }

    [Fact]
    public void Dense_layers_run_on_the_device_with_their_activations_fused()
    {
        // MLP regressor: dense, relu, dense, relu, dense: all five steps, three launches.
        var regressor = GpuTestModels.MlpRegressor(42);
        AssertDeviceSteps(regressor, 5, 5);

        // Binary: the sigmoid fuses into the last layer; the threshold (Greater) stays on the CPU.
        var binary = GpuTestModels.MlpClassifier(42, GpuTestModels.Rows(42, 20));
        AssertDeviceSteps(binary, 6, 7);

        // Multiclass: softmax and arg-max stay on the CPU.
        var multiclass = GpuTestModels.MlpMulticlass(42, GpuTestModels.Rows(42, 20));
        AssertDeviceSteps(multiclass, 5, 7);
        Assert.IsType<SoftmaxStep>(multiclass.Steps[5]);

        AssertDeviceSteps(GpuTestModels.LinearRegressor(42), 1, 1);
        AssertDeviceSteps(GpuTestModels.TanhNetwork(42, skip: false), 3, 3);
    }

    [Fact]
    public void A_value_read_after_the_prefix_ends_the_prefix_there()
    {
        // h = x·W0 + b0 is read by tanh and by the sum tanh(h) + h: tanh cannot fuse, the device runs the first layer.
        AssertDeviceSteps(GpuTestModels.TanhNetwork(43, skip: true), 1, 4);
    }

    [Fact]
    public void A_model_whose_first_step_has_no_kernel_is_refused_with_the_reason()
    {
        var graph = new OnnxGraphBuilder();
        graph.FloatInput(OnnxExporter.InputName, 2);
        graph.FloatInitializer("scale", [1], [2f]);
        graph.FloatInitializer("W", [2, 1], [1f, -1f]);
        graph.Node("Mul", [OnnxExporter.InputName, "scale"], ["scaled"]);
        graph.Node("MatMul", ["scaled", "W"], [OnnxExporter.PredictionName]);
        graph.Output(OnnxExporter.PredictionName, TensorProto.Types.DataType.Float, 1);
        var model = GpuTestModels.Compile(graph.Build(null, usesMlDomain: false), PredictionTask.Regression);

        var program = GpuModelProgram.TryCompile(model, fixture.Device, out var reason);

        Assert.Null(program);
        Assert.Contains("ConstantBinaryStep", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Model_arrays_the_memory_budget_refuses_leave_no_program_and_no_reservation()
    {
        using var small = ComputeDevice.CreateCpuSimulator(memoryBudgetBytes: 256);
        var program = GpuModelProgram.TryCompile(GpuTestModels.ForestRegressor(44, trees: 40), small, out var reason);

        Assert.Null(program);
        Assert.Contains("budget", reason, StringComparison.Ordinal);
        Assert.Equal(0, small.Memory.Used);
    }

    [Fact]
    public void Disposing_a_program_returns_its_device_memory()
    {
        var used = fixture.Device.Memory.Used;
        var program = GpuModelProgram.TryCompile(GpuTestModels.MlpRegressor(45), fixture.Device, out _)!;
        program.EvaluateBatch(GpuTestModels.Blocks(45, [10, 3]));
        Assert.True(fixture.Device.Memory.Used > used);

        program.Dispose();

        Assert.Equal(used, fixture.Device.Memory.Used);
    }

    [Fact]
    public void Once_the_device_failed_programs_and_evaluators_answer_on_the_CPU()
    {
        using var device = ComputeDevice.CreateCpuSimulator();
        var model = GpuTestModels.MlpRegressor(46);
        using var program = GpuModelProgram.TryCompile(model, device, out _)!;
        var launcher = new CountingLauncher();
        var evaluator = new GpuDesignEvaluator(program, launcher);
        var layout = new SaltelliLayout(4, [0]);
        var inputs = ColumnMajor.From(GpuTestModels.Rows(46, layout.Rows));
        var expected = new float[layout.Rows];
        model.Evaluate(inputs, layout.Rows, expected);
        evaluator.Specialize([0, 1, 2, 3, 4], new bool[5], new float[5]);
        var before = new float[layout.Rows];
        evaluator.Evaluate(inputs, layout, before);
        Assert.Equal(1, launcher.Launches);

        device.MarkFailed(new InvalidOperationException("device lost (test)"));
        var after = new float[layout.Rows];
        evaluator.Evaluate(inputs, layout, after);
        var blocks = GpuTestModels.Blocks(46, [12, 4]);
        program.EvaluateBatch(blocks);

        Assert.False(program.UsesDevice);
        Assert.Equal(1, launcher.Launches); // the CPU evaluator answered, not the launcher
        for (var r = 0; r < layout.Rows; r++)
        {
            var scale = 1e-5 * Math.Max(1, Math.Abs(expected[r]));
            Assert.True(Math.Abs(expected[r] - before[r]) <= scale, $"row {r} on the device: {before[r]} for {expected[r]}");
            Assert.True(Math.Abs(expected[r] - after[r]) <= scale, $"row {r} on the CPU: {after[r]} for {expected[r]}");
        }

        var reference = new float[12];
        model.Evaluate(blocks[0].Inputs.Span, 12, reference);
        Assert.Equal(reference, blocks[0].Outputs.ToArray());
        Assert.Null(GpuModelProgram.TryCompile(model, device, out var reason));
        Assert.Contains("device lost (test)", reason, StringComparison.Ordinal);
    }

    private void AssertDeviceSteps(NativeModel model, int deviceSteps, int steps)
    {
        using var program = GpuModelProgram.TryCompile(model, fixture.Device, out var reason);
        Assert.True(program is not null, reason);
        Assert.Equal(steps, model.Steps.Length);
        Assert.Equal(deviceSteps, program.DeviceSteps);
    }

    /// <summary>Counts launches and evaluates each block directly.</summary>
    private sealed class CountingLauncher : IDesignLauncher
    {
        public int Launches { get; private set; }

        public void Launch(GpuModelProgram program, DesignBlock block)
        {
            Launches++;
            DirectDesignLauncher.Instance.Launch(program, block);
        }
    }
}
