using Biathlon.Engine.Models.Onnx;
using Google.Protobuf;

namespace Biathlon.Engine.Models.Export;

/// <summary>Assembles an ONNX graph from nodes, initializers and typed inputs/outputs, and serialises the model.</summary>
internal sealed class OnnxGraphBuilder
{
    public const string MlDomain = "ai.onnx.ml";

    private readonly GraphProto _graph = new() { Name = "biathlon" };
    private readonly Dictionary<string, string> _metadata = new(StringComparer.Ordinal);

    /// <summary>Declares a float input of shape [N, width] with a symbolic batch dimension.</summary>
    public void FloatInput(string name, int width) => _graph.Input.Add(ValueInfo(name, TensorProto.Types.DataType.Float, width));

    /// <summary>Declares an output; <paramref name="width"/> null means shape [N].</summary>
    public void Output(string name, TensorProto.Types.DataType type, int? width) => _graph.Output.Add(ValueInfo(name, type, width));

    public void Metadata(string key, string value) => _metadata[key] = value;

    public void FloatInitializer(string name, long[] dims, ReadOnlySpan<float> values)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        tensor.Dims.AddRange(dims);
        foreach (var v in values)
        {
            tensor.FloatData.Add(v);
        }

        _graph.Initializer.Add(tensor);
    }

    public void Int64Initializer(string name, long[] dims, ReadOnlySpan<long> values)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        tensor.Dims.AddRange(dims);
        foreach (var v in values)
        {
            tensor.Int64Data.Add(v);
        }

        _graph.Initializer.Add(tensor);
    }

    public NodeProto Node(string opType, string[] inputs, string[] outputs, string domain = "")
    {
        var node = new NodeProto { OpType = opType, Name = $"{opType}_{_graph.Node.Count}", Domain = domain };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        _graph.Node.Add(node);
        return node;
    }

    public byte[] Build(IReadOnlyDictionary<string, string>? metadata, bool usesMlDomain)
    {
        var model = new ModelProto
        {
            IrVersion = 8,
            ProducerName = "Biathlon for .NET",
            ProducerVersion = "1",
            Graph = _graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
        if (usesMlDomain)
        {
            model.OpsetImport.Add(new OperatorSetIdProto { Domain = MlDomain, Version = 3 });
        }

        foreach (var (key, value) in metadata ?? new Dictionary<string, string>())
        {
            _metadata[key] = value;
        }

        foreach (var (key, value) in _metadata)
        {
            model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        }

        return model.ToByteArray();
    }

    private static ValueInfoProto ValueInfo(string name, TensorProto.Types.DataType type, int? width)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = "N" });
        if (width is { } w)
        {
            shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = w });
        }

        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        };
    }
}

/// <summary>Attribute helpers for <see cref="NodeProto"/>.</summary>
internal static class NodeAttributes
{
    public static NodeProto Int(this NodeProto node, string name, long value)
    {
        node.Attribute.Add(new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value });
        return node;
    }

    public static NodeProto Float(this NodeProto node, string name, float value)
    {
        node.Attribute.Add(new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value });
        return node;
    }

    public static NodeProto String(this NodeProto node, string name, string value)
    {
        node.Attribute.Add(new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) });
        return node;
    }

    public static NodeProto Ints(this NodeProto node, string name, IEnumerable<long> values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        node.Attribute.Add(attribute);
        return node;
    }

    public static NodeProto Floats(this NodeProto node, string name, IEnumerable<float> values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Floats };
        attribute.Floats.AddRange(values);
        node.Attribute.Add(attribute);
        return node;
    }

    public static NodeProto Strings(this NodeProto node, string name, IEnumerable<string> values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Strings };
        attribute.Strings.AddRange(values.Select(ByteString.CopyFromUtf8));
        node.Attribute.Add(attribute);
        return node;
    }
}
