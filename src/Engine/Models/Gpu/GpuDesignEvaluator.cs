using Biathlon.Engine.Models.Native;
using Biathlon.Planner.Propagation;

namespace Biathlon.Engine.Models.Gpu;

/// <summary>
/// One request's evaluator on the device: <see cref="Evaluate"/> hands the whole design, as one
/// <see cref="DesignBlock"/>, to the launcher (the engine's cross-request batcher), which evaluates the full model on
/// the device; the specialisation the CPU evaluator does per request is not needed there (the constants are in the
/// design). <see cref="Specialize"/> and <see cref="TryGetAffine"/> go to the request's
/// <see cref="NativeDesignEvaluator"/>, which also evaluates on the CPU once the program stops using the device.
/// Not thread-safe (one per request, as the CPU evaluator).
/// </summary>
internal sealed class GpuDesignEvaluator(GpuModelProgram program, NativeDesignEvaluator cpu, IDesignLauncher launcher) : IDesignEvaluator
{
    private float[] _inputs = [];
    private float[] _outputs = [];

    /// <summary>The evaluator for <paramref name="program"/>'s model, with a fresh CPU evaluator beside it.</summary>
    public GpuDesignEvaluator(GpuModelProgram program, IDesignLauncher launcher)
        : this(program, new NativeDesignEvaluator(program.Model), launcher)
    {
    }

    public void Specialize(ReadOnlySpan<int> groupOfInput, ReadOnlySpan<bool> isConstant, ReadOnlySpan<float> values) =>
        cpu.Specialize(groupOfInput, isConstant, values);

    public void Evaluate(ReadOnlySpan<float> inputs, in SaltelliLayout layout, Span<float> outputs)
    {
        if (!program.UsesDevice)
        {
            cpu.Evaluate(inputs, layout, outputs);
            return;
        }

        // A block holds Memory, so the span is copied into buffers this evaluator owns (reused across designs).
        var rows = layout.Rows;
        var length = rows * program.Model.InputWidth;
        if (_inputs.Length < length)
        {
            _inputs = new float[length];
        }

        if (_outputs.Length < rows)
        {
            _outputs = new float[rows];
        }

        inputs[..length].CopyTo(_inputs);
        launcher.Launch(program, new DesignBlock(_inputs.AsMemory(0, length), rows, _outputs.AsMemory(0, rows)));
        _outputs.AsSpan(0, rows).CopyTo(outputs);
    }

    public bool TryGetAffine(Span<double> weights, out double intercept) => cpu.TryGetAffine(weights, out intercept);
}
