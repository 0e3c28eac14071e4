using System.Buffers.Binary;
using Biathlon.Engine.Models.Onnx;

namespace Biathlon.Engine.Models.Native;

/// <summary>Reads attributes and initializer tensors of ONNX nodes, throwing <see cref="UnsupportedGraphException"/> for what the native runtime cannot use.</summary>
internal static class OnnxNodeReader
{
    public static AttributeProto? Attribute(NodeProto node, string name)
    {
        foreach (var attribute in node.Attribute)
        {
            if (attribute.Name == name)
            {
                return attribute;
            }
        }

        return null;
    }

    public static long Int(NodeProto node, string name, long fallback) => Attribute(node, name) is { } a ? a.I : fallback;

    public static float Float(NodeProto node, string name, float fallback) => Attribute(node, name) is { } a ? a.F : fallback;

    public static string String(NodeProto node, string name, string fallback) => Attribute(node, name) is { } a ? a.S.ToStringUtf8() : fallback;

    public static long[] Ints(NodeProto node, string name) => Attribute(node, name) is { } a ? [.. a.Ints] : [];

    public static string[] Strings(NodeProto node, string name)
    {
        if (Attribute(node, name) is not { } a)
        {
            return [];
        }

        var values = new string[a.Strings.Count];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = a.Strings[i].ToStringUtf8();
        }

        return values;
    }

    /// <summary>A float list given either as a list attribute or as its <c>…_as_tensor</c> variant.</summary>
    public static float[] Floats(NodeProto node, string name)
    {
        if (Attribute(node, name) is { } list)
        {
            return [.. list.Floats];
        }

        return Attribute(node, name + "_as_tensor") is { } tensor ? FloatValues(tensor.T, node) : [];
    }

    /// <summary>The values of a float, double, int32 or int64 tensor as floats.</summary>
    public static float[] FloatValues(TensorProto tensor, NodeProto node)
    {
        var count = 1L;
        foreach (var d in tensor.Dims)
        {
            count *= d;
        }

        var raw = tensor.RawData.Span;
        switch ((TensorProto.Types.DataType)tensor.DataType)
        {
            case TensorProto.Types.DataType.Float:
                if (!raw.IsEmpty)
                {
                    var values = new float[raw.Length / 4];
                    for (var i = 0; i < values.Length; i++)
                    {
                        values[i] = BinaryPrimitives.ReadSingleLittleEndian(raw[(4 * i)..]);
                    }

                    return values;
                }

                return [.. tensor.FloatData];
            case TensorProto.Types.DataType.Double:
                if (!raw.IsEmpty)
                {
                    var values = new float[raw.Length / 8];
                    for (var i = 0; i < values.Length; i++)
                    {
                        values[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(raw[(8 * i)..]);
                    }

                    return values;
                }

                return [.. tensor.DoubleData.Select(v => (float)v)];
            case TensorProto.Types.DataType.Int64:
                if (!raw.IsEmpty)
                {
                    var values = new float[raw.Length / 8];
                    for (var i = 0; i < values.Length; i++)
                    {
                        values[i] = BinaryPrimitives.ReadInt64LittleEndian(raw[(8 * i)..]);
                    }

                    return values;
                }

                return [.. tensor.Int64Data.Select(v => (float)v)];
            case TensorProto.Types.DataType.Int32:
                if (!raw.IsEmpty)
                {
                    var values = new float[raw.Length / 4];
                    for (var i = 0; i < values.Length; i++)
                    {
                        values[i] = BinaryPrimitives.ReadInt32LittleEndian(raw[(4 * i)..]);
                    }

                    return values;
                }

                return [.. tensor.Int32Data.Select(v => (float)v)];
            default:
                throw new UnsupportedGraphException($"node '{node.Name}' ({node.OpType}) uses a tensor of data type {tensor.DataType} (count {count}).");
        }
    }
}

/// <summary>A graph the native runtime does not evaluate; the message says which node or feature is the reason.</summary>
internal sealed class UnsupportedGraphException(string message) : Exception(message);
