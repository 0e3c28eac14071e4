namespace Biathlon.Compute.Models;

/// <summary>One dense layer for the device: <c>out = act(in · W + bias)</c>.</summary>
/// <param name="InputWidth">Columns read.</param>
/// <param name="Width">Columns written.</param>
/// <param name="Weights">W, [InputWidth × Width] row-major (input j, output o at j · Width + o).</param>
/// <param name="Bias">One per output column.</param>
/// <param name="Activation">Applied to each output, in the same launch.</param>
internal sealed record DeviceDenseLayer(int InputWidth, int Width, float[] Weights, float[] Bias, DeviceActivation Activation);
