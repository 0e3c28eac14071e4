using Biathlon.Engine.Models.Native;
using Biathlon.Engine.Models.Onnx;
using Biathlon.Planner.Propagation;
using Biathlon.Sampling.Errors;
using Google.Protobuf;

namespace Biathlon.Engine.Models;

/// <summary>
/// A pipeline's model as the engine runs it: the evaluator chosen for the requested <see cref="ModelRuntime"/>, what
/// was chosen and why, and the model's metadata.
/// </summary>
internal sealed class LoadedModel : IDisposable
{
    private readonly OnnxModel? _onnx;

    private LoadedModel(IBatchModel model, ModelRuntime runtime, string description, IReadOnlyDictionary<string, string> metadata, OnnxModel? onnx)
    {
        Model = model;
        Runtime = runtime;
        Description = description;
        Metadata = metadata;
        _onnx = onnx;
    }

    /// <summary>The evaluator the propagator calls.</summary>
    public IBatchModel Model { get; }

    /// <summary>The runtime in use: <see cref="ModelRuntime.Native"/> or <see cref="ModelRuntime.OnnxRuntime"/>.</summary>
    public ModelRuntime Runtime { get; }

    /// <summary>What runs, and for ONNX Runtime under <see cref="ModelRuntime.Auto"/> why the native evaluator does not.</summary>
    public string Description { get; }

    /// <summary>The model's metadata properties.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>
    /// Loads <paramref name="path"/> for <paramref name="requested"/>. Throws <see cref="DataSourceException"/> naming
    /// the file when it is missing or unusable, and <see cref="UnsupportedGraphException"/> when the native runtime was
    /// required and the graph is not one it evaluates.
    /// </summary>
    public static LoadedModel Load(string path, PredictionTask task, ModelRuntime requested, int threads)
    {
        string? reason = null;
        if (requested != ModelRuntime.OnnxRuntime)
        {
            ModelProto? proto = null;
            try
            {
                proto = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
            }
            catch (InvalidProtocolBufferException e) when (requested == ModelRuntime.Auto)
            {
                reason = e.Message; // ONNX Runtime reports the file's problem below
            }
            catch (InvalidProtocolBufferException e)
            {
                throw new DataSourceException(path, $"'{path}' is not an ONNX model: {e.Message}", e);
            }
            catch (IOException e)
            {
                throw new DataSourceException(path, $"Model file '{path}' cannot be read: {e.Message}", e);
            }

            if (proto is not null)
            {
                try
                {
                    var native = NativeModel.Compile(proto, task);
                    var metadata = proto.MetadataProps.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
                    return new LoadedModel(native, ModelRuntime.Native, $"native {native.Summary}", metadata, null);
                }
                catch (UnsupportedGraphException e) when (requested == ModelRuntime.Auto)
                {
                    reason = e.Message;
                }
            }
        }

        var onnx = OnnxModel.Load(path, task, new OnnxModelOptions(threads));
        var description = reason is null ? "ONNX Runtime" : $"ONNX Runtime (not native: {reason})";
        return new LoadedModel(onnx, ModelRuntime.OnnxRuntime, description, onnx.Metadata, onnx);
    }

    public void Dispose() => _onnx?.Dispose();
}
