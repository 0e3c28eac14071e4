using System.Globalization;
using Biathlon.Engine.Models.Export;
using Biathlon.Sampling.Errors;

namespace Biathlon.Engine.Models.Import;

/// <summary>
/// Reads one <c>Tree=i</c> block of a LightGBM text model into a <see cref="DecisionTree"/>. LightGBM's layout is
/// ours (internal nodes 0..n−1, a negative child c is leaf ~c, a row goes left when its feature is ≤ the threshold);
/// its thresholds are doubles compared with the input widened to double, so each becomes the largest float ≤ it, which
/// sends every float input the same way. Leaf values already include the tree's shrinkage.
/// </summary>
internal static class LightGbmTreeReader
{
    private const int CategoricalMask = 1;
    private const int DefaultLeftMask = 2;
    private const int MissingZero = 1;

    /// <summary>Builds tree <paramref name="index"/> from its <c>key=value</c> lines; <paramref name="line"/> is the line of its <c>Tree=</c> header.</summary>
    public static DecisionTree Read(string path, int index, int line, IReadOnlyDictionary<string, string> fields)
    {
        var block = new Block(path, index, line);
        var leaves = ReadInt(fields, "num_leaves", block);
        if (leaves < 1)
        {
            throw block.Fail($"num_leaves is {leaves}; a tree has at least one leaf.");
        }

        if (fields.TryGetValue("is_linear", out var linear) && linear.Trim() != "0")
        {
            throw block.Fail("linear trees (linear_tree=true) are not supported; train with linear_tree=false.");
        }

        if (fields.TryGetValue("num_cat", out var categories) && categories.Trim() != "0")
        {
            throw block.Fail($"categorical splits are not supported (num_cat={categories.Trim()}); train with numeric features only.");
        }

        var values = Doubles(fields, "leaf_value", leaves, block);
        var internalNodes = leaves - 1;
        if (internalNodes == 0)
        {
            return new DecisionTree([], [], [], [], values);
        }

        var features = Ints(fields, "split_feature", internalNodes, block);
        var thresholds = Doubles(fields, "threshold", internalNodes, block);
        var decisions = Ints(fields, "decision_type", internalNodes, block);
        var left = Ints(fields, "left_child", internalNodes, block);
        var right = Ints(fields, "right_child", internalNodes, block);
        var floatThresholds = new float[internalNodes];
        for (var n = 0; n < internalNodes; n++)
        {
            if ((decisions[n] & CategoricalMask) != 0)
            {
                throw block.Fail($"node {n} is a categorical split (decision_type {decisions[n]}); only numeric splits are supported.");
            }

            if (((decisions[n] >> 2) & 3) == MissingZero)
            {
                throw block.Fail($"node {n} treats zero as missing (missing_type Zero, decision_type {decisions[n]}), which sends 0 the default way "
                    + $"({((decisions[n] & DefaultLeftMask) != 0 ? "left" : "right")}) whatever the threshold; train with zero_as_missing=false.");
            }

            if (features[n] < 0)
            {
                throw block.Fail($"node {n} splits on feature {features[n]}.");
            }

            floatThresholds[n] = FloatAtMost(thresholds[n]);
        }

        try
        {
            return new DecisionTree(features, floatThresholds, left, right, values);
        }
        catch (ArgumentException e)
        {
            throw block.Fail(e.Message, e);
        }
    }

    /// <summary>The largest float ≤ <paramref name="threshold"/>: for every float x, x ≤ it exactly when (double)x ≤ <paramref name="threshold"/>.</summary>
    internal static float FloatAtMost(double threshold)
    {
        var rounded = (float)threshold;
        return rounded > threshold ? MathF.BitDecrement(rounded) : rounded;
    }

    private static int ReadInt(IReadOnlyDictionary<string, string> fields, string key, Block block)
    {
        if (!fields.TryGetValue(key, out var text) || !int.TryParse(text.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
        {
            throw block.Fail($"{key} is missing or not an integer.");
        }

        return value;
    }

    private static string[] Items(IReadOnlyDictionary<string, string> fields, string key, int count, Block block)
    {
        if (!fields.TryGetValue(key, out var text))
        {
            throw block.Fail($"{key} is missing.");
        }

        var items = text.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (items.Length != count)
        {
            throw block.Fail($"{key} has {items.Length} values; expected {count}.");
        }

        return items;
    }

    private static int[] Ints(IReadOnlyDictionary<string, string> fields, string key, int count, Block block)
    {
        var items = Items(fields, key, count, block);
        var values = new int[count];
        for (var i = 0; i < count; i++)
        {
            if (!int.TryParse(items[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out values[i]))
            {
                throw block.Fail($"{key} value {i} ('{items[i]}') is not an integer.");
            }
        }

        return values;
    }

    private static double[] Doubles(IReadOnlyDictionary<string, string> fields, string key, int count, Block block)
    {
        var items = Items(fields, key, count, block);
        var values = new double[count];
        for (var i = 0; i < count; i++)
        {
            if (!TryParseDouble(items[i], out values[i]))
            {
                throw block.Fail($"{key} value {i} ('{items[i]}') is not a number.");
            }
        }

        return values;
    }

    /// <summary>Where a tree block lies, for errors that name the file, the tree and its line.</summary>
    private readonly record struct Block(string Path, int Index, int Line)
    {
        public DataSourceException Fail(string message, Exception? inner = null) => new(Path, $"'{Path}' tree {Index} (line {Line}): {message}", inner);
    }

    /// <summary>Parses a number as LightGBM writes it (C printf: "inf", "-inf" and "nan" included).</summary>
    internal static bool TryParseDouble(string text, out double value)
    {
        switch (text.ToLowerInvariant())
        {
            case "inf" or "+inf" or "infinity":
                value = double.PositiveInfinity;
                return true;
            case "-inf" or "-infinity":
                value = double.NegativeInfinity;
                return true;
            case "nan" or "-nan":
                value = double.NaN;
                return false;
            default:
                return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
        }
    }
}
