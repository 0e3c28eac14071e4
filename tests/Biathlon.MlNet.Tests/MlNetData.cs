using Microsoft.ML;
using Microsoft.ML.Data;

namespace Biathlon.MlNet.Tests;

/// <summary>Float rows as an ML.NET data view with a "Features" vector column and a float or bool "Label".</summary>
internal static class MlNetData
{
    public static IDataView Regression(MLContext context, float[][] rows, float[] labels)
    {
        var schema = SchemaDefinition.Create(typeof(RegressionRow));
        schema[nameof(RegressionRow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, rows[0].Length);
        return context.Data.LoadFromEnumerable(rows.Select((r, i) => new RegressionRow { Features = r, Label = labels[i] }), schema);
    }

    public static IDataView Binary(MLContext context, float[][] rows, float[] labels)
    {
        var schema = SchemaDefinition.Create(typeof(BinaryRow));
        schema[nameof(BinaryRow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, rows[0].Length);
        return context.Data.LoadFromEnumerable(rows.Select((r, i) => new BinaryRow { Features = r, Label = labels[i] > 0.5f }), schema);
    }

    /// <summary>ML.NET's own output column for <paramref name="rows"/>: "Score" (regression) or "Probability" (binary).</summary>
    public static float[] Predict(MLContext context, ITransformer model, float[][] rows, string column)
    {
        var view = column == "Probability" ? Binary(context, rows, new float[rows.Length]) : Regression(context, rows, new float[rows.Length]);
        return [.. model.Transform(view).GetColumn<float>(column)];
    }

    private sealed class RegressionRow
    {
        public float[] Features { get; set; } = [];

        public float Label { get; set; }
    }

    private sealed class BinaryRow
    {
        public float[] Features { get; set; } = [];

        public bool Label { get; set; }
    }
}
