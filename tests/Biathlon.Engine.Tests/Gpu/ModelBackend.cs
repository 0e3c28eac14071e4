using Biathlon.Compute.Devices;
using Biathlon.Engine.Models.Gpu;
using Biathlon.Engine.Models.Native;
using Biathlon.Planner.Propagation;

namespace Biathlon.Engine.Tests.Gpu;

/// <summary>What the GPU tests run a model on: the SIMD CPU path, or a <see cref="GpuModelProgram"/> on a device.</summary>
internal abstract class ModelBackend
{
    /// <summary>For messages.</summary>
    public abstract string Name { get; }

    /// <summary>Why the backend cannot run here (the test then skips), or null.</summary>
    public virtual string? Unavailable => null;

    /// <summary>Evaluates every block of a batch of one model.</summary>
    public abstract void EvaluateBatch(NativeModel model, DesignBlock[] blocks);

    /// <summary>A request's design evaluator for <paramref name="model"/>, and what to dispose after it.</summary>
    public abstract (IDesignEvaluator Evaluator, IDisposable? Owner) CreateDesignEvaluator(NativeModel model);

    /// <summary>The SIMD CPU backend, each block on its own (<see cref="NativeModel.Evaluate"/>).</summary>
    public static ModelBackend Simd { get; } = new SimdBackend();

    /// <summary>A device backend; null device: unavailable for <paramref name="reason"/>.</summary>
    public static ModelBackend Device(ComputeDevice? device, string reason) => new DeviceBackend(device, reason);

    private sealed class SimdBackend : ModelBackend
    {
        public override string Name => "SIMD CPU";

        public override void EvaluateBatch(NativeModel model, DesignBlock[] blocks)
        {
            foreach (var block in blocks)
            {
                model.Evaluate(block.Inputs.Span[..(block.Rows * model.InputWidth)], block.Rows, block.Outputs.Span);
            }
        }

        public override (IDesignEvaluator, IDisposable?) CreateDesignEvaluator(NativeModel model) => (model.CreateDesignEvaluator(), null);
    }

    private sealed class DeviceBackend(ComputeDevice? device, string reason) : ModelBackend
    {
        public override string Name => device is null ? "CUDA (absent)" : device.Describe();

        public override string? Unavailable => device is null ? reason : null;

        public override void EvaluateBatch(NativeModel model, DesignBlock[] blocks)
        {
            using var program = Compile(model);
            program.EvaluateBatch(blocks);

            // A program that failed still answers (on the CPU): make sure the device did the work.
            Assert.Null(program.Failure);
        }

        public override (IDesignEvaluator, IDisposable?) CreateDesignEvaluator(NativeModel model)
        {
            var program = Compile(model);
            return (new GpuDesignEvaluator(program, DirectDesignLauncher.Instance), program);
        }

        private GpuModelProgram Compile(NativeModel model)
        {
            var program = GpuModelProgram.TryCompile(model, device!, out var why);
            Assert.True(program is not null, $"{model.Summary} did not compile for the device: {why}");
            return program;
        }
    }
}
