using System.Globalization;
using Biathlon.Engine.Models.Export;
using Biathlon.Planner.Propagation;
using Biathlon.Sampling.Errors;

namespace Biathlon.Engine.Models.Import;

/// <summary>
/// A LightGBM model read from the text format LightGBM saves (<c>save_model</c>, <c>LGBM_BoosterSaveModel</c>): its
/// trees as the model-neutral <see cref="TreeEnsembleModel"/>, and what its output means. Supported: one tree per
/// iteration with numeric splits, objectives whose prediction is the raw score (<c>regression</c>,
/// <c>regression_l1</c>, <c>huber</c>, <c>fair</c>, <c>quantile</c>, <c>mape</c>) and <c>binary</c> (P(class 1) =
/// 1 / (1 + exp(−k · score)) for <c>sigmoid:k</c>), boosted or random forest (<c>average_output</c>). Refused, with an
/// error naming the file and the tree and line: multiclass models, categorical splits, zero-as-missing splits, linear
/// trees, and other objectives.
/// </summary>
/// <remarks>
/// Missing values: LightGBM sends NaN the node's default way (<c>default_left</c>) where the node's missing type is
/// NaN, and compares 0 in its place where it is None; our trees send NaN right. The engine never feeds NaN to a model
/// (its features are filled), so the difference never shows there; callers of <see cref="TreeEnsembleModel.Score"/>
/// or of the exported ONNX should not pass NaN either.
/// </remarks>
public sealed class LightGbmTextModel
{
    private static readonly string[] s_identityObjectives = ["regression", "regression_l2", "regression_l1", "huber", "fair", "quantile", "mape"];

    private readonly int[] _treeLines;

    private LightGbmTextModel(string path, TreeEnsembleModel trees, int[] treeLines, string objective, PlattCalibration? calibration, int featureCount)
    {
        Path = path;
        Trees = trees;
        _treeLines = treeLines;
        Objective = objective;
        Calibration = calibration;
        FeatureCount = featureCount;
    }

    /// <summary>The file read.</summary>
    public string Path { get; }

    /// <summary>The trees: the raw score is <see cref="TreeEnsembleModel.Score"/> (a sum, or an average for random forests).</summary>
    public TreeEnsembleModel Trees { get; }

    /// <summary>The model's <c>objective</c> line, for example <c>regression</c> or <c>binary sigmoid:1</c>.</summary>
    public string Objective { get; }

    /// <summary>Regression (the prediction is the raw score) or classification (binary: P(class 1) by <see cref="Calibration"/>).</summary>
    public PredictionTask Task => Calibration is null ? PredictionTask.Regression : PredictionTask.Classification;

    /// <summary>For a binary model, the sigmoid <c>sigmoid:k</c> as Platt scaling (slope k, offset 0); null for regression.</summary>
    public PlattCalibration? Calibration { get; }

    /// <summary>How many features the model was trained on (<c>max_feature_idx</c> + 1).</summary>
    public int FeatureCount { get; }

    /// <summary>
    /// Whether <paramref name="path"/> holds a LightGBM text model: its first line is <c>tree</c>, or its name ends in
    /// <c>.txt</c>. Reads the first line only; false when the file cannot be read (the caller reports that).
    /// </summary>
    public static bool IsLightGbmText(string path)
    {
        if (path.EndsWith(".txt", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        try
        {
            using var reader = new StreamReader(path);
            var buffer = new char[8];
            var read = reader.ReadBlock(buffer, 0, buffer.Length);
            var start = new string(buffer, 0, read);
            return start == "tree" || start.StartsWith("tree\n", StringComparison.Ordinal) || start.StartsWith("tree\r\n", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>
    /// Reads the model in <paramref name="path"/>. Throws <see cref="DataSourceException"/> naming the file (and the
    /// tree and line) when it is missing, not a LightGBM text model, or uses something unsupported.
    /// </summary>
    public static LightGbmTextModel Load(string path)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DataSourceException(path, $"Model file '{path}' cannot be read: {e.Message}", e);
        }

        return Parse(path, lines);
    }

    /// <summary>
    /// The model as ONNX for an input of <paramref name="inputWidth"/> features (usually the pipeline's input count):
    /// a regressor (output <c>prediction</c>) or a binary classifier (outputs <c>label</c> and <c>probability</c>), see
    /// <see cref="OnnxExporter"/>. Throws <see cref="DataSourceException"/> naming the file, tree and line when a
    /// split uses a feature index ≥ <paramref name="inputWidth"/>.
    /// </summary>
    public byte[] ToOnnx(int inputWidth, IReadOnlyDictionary<string, string>? metadata = null)
    {
        CheckInputWidth(inputWidth);
        return Calibration is null
            ? OnnxExporter.Regressor(Trees, inputWidth, metadata)
            : OnnxExporter.BinaryClassifier(Trees, Calibration, inputWidth, metadata);
    }

    /// <summary>Throws when a split uses a feature index ≥ <paramref name="inputWidth"/>.</summary>
    public void CheckInputWidth(int inputWidth)
    {
        if (inputWidth < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(inputWidth), inputWidth, "A model needs at least one input feature.");
        }

        for (var t = 0; t < Trees.Trees.Count; t++)
        {
            var tree = Trees.Trees[t];
            for (var n = 0; n < tree.InternalNodes; n++)
            {
                if (tree.SplitFeatures[n] >= inputWidth)
                {
                    throw new DataSourceException(Path, $"'{Path}' tree {t} (line {_treeLines[t]}): node {n} splits on feature {tree.SplitFeatures[n]}, "
                        + $"but the model gets {inputWidth} inputs (indexes 0..{inputWidth - 1}).");
                }
            }
        }
    }

    private static LightGbmTextModel Parse(string path, string[] lines)
    {
        DataSourceException Fail(int line, string message) => new(path, $"'{path}' line {line}: {message}");

        if (lines.Length == 0 || lines[0].Trim() != "tree")
        {
            throw new DataSourceException(path, $"'{path}' is not a LightGBM text model: its first line is not 'tree'.");
        }

        var header = new Dictionary<string, (string Value, int Line)>(StringComparer.Ordinal);
        var averageOutput = false;
        var i = 1;
        for (; i < lines.Length && !lines[i].StartsWith("Tree=", StringComparison.Ordinal); i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0)
            {
                continue;
            }

            if (line == "average_output")
            {
                averageOutput = true;
                continue;
            }

            if (line == "end of trees")
            {
                break;
            }

            var equals = line.IndexOf('=');
            if (equals > 0)
            {
                header[line[..equals]] = (line[(equals + 1)..], i + 1);
            }
        }

        int HeaderInt(string key)
        {
            if (!header.TryGetValue(key, out var entry))
            {
                throw new DataSourceException(path, $"'{path}': the header has no {key} line; is this a LightGBM text model?");
            }

            if (!int.TryParse(entry.Value.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
            {
                throw Fail(entry.Line, $"{key} '{entry.Value}' is not an integer.");
            }

            return value;
        }

        if (!header.ContainsKey("version"))
        {
            throw new DataSourceException(path, $"'{path}': the header has no version line; is this a LightGBM text model?");
        }

        var classes = HeaderInt("num_class");
        if (classes != 1)
        {
            throw Fail(header["num_class"].Line, $"multiclass models are not supported (num_class={classes}); Biathlon reads regression and binary LightGBM models.");
        }

        var perIteration = HeaderInt("num_tree_per_iteration");
        if (perIteration != 1)
        {
            throw Fail(header["num_tree_per_iteration"].Line, $"num_tree_per_iteration={perIteration}: only one tree per iteration (regression, binary) is supported.");
        }

        var featureCount = HeaderInt("max_feature_idx") + 1;
        if (!header.TryGetValue("objective", out var objectiveEntry))
        {
            throw new DataSourceException(path, $"'{path}': the header has no objective line, so what the score means is unknown.");
        }

        var objective = objectiveEntry.Value.Trim();
        var calibration = ReadObjective(objective, message => Fail(objectiveEntry.Line, message));

        var trees = new List<DecisionTree>();
        var treeLines = new List<int>();
        while (i < lines.Length && lines[i].StartsWith("Tree=", StringComparison.Ordinal))
        {
            var headerLine = i + 1;
            if (!int.TryParse(lines[i].AsSpan(5).Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var index) || index != trees.Count)
            {
                throw Fail(headerLine, $"expected 'Tree={trees.Count}', found '{lines[i].Trim()}'.");
            }

            var fields = new Dictionary<string, string>(StringComparer.Ordinal);
            for (i++; i < lines.Length && !lines[i].StartsWith("Tree=", StringComparison.Ordinal) && lines[i].Trim() != "end of trees"; i++)
            {
                var line = lines[i];
                var equals = line.IndexOf('=');
                if (equals > 0)
                {
                    fields[line[..equals].Trim()] = line[(equals + 1)..];
                }
            }

            trees.Add(LightGbmTreeReader.Read(path, index, headerLine, fields));
            treeLines.Add(headerLine);
        }

        if (trees.Count == 0)
        {
            throw new DataSourceException(path, $"'{path}' has no trees (no 'Tree=0' block).");
        }

        var weights = new double[trees.Count];
        Array.Fill(weights, 1.0);
        var ensemble = new TreeEnsembleModel(trees, weights, 0, averageOutput ? TreeAggregation.Average : TreeAggregation.Sum);
        return new LightGbmTextModel(path, ensemble, [.. treeLines], objective, calibration, featureCount);
    }

    /// <summary>Null for objectives whose prediction is the raw score; the sigmoid for binary; throws for the rest.</summary>
    private static PlattCalibration? ReadObjective(string objective, Func<string, DataSourceException> fail)
    {
        var parts = objective.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var name = parts.Length > 0 ? parts[0] : "";
        if (s_identityObjectives.Contains(name))
        {
            return null;
        }

        if (name == "binary")
        {
            var sigmoid = 1.0;
            foreach (var part in parts.Skip(1))
            {
                if (part.StartsWith("sigmoid:", StringComparison.Ordinal)
                    && !(double.TryParse(part.AsSpan(8), NumberStyles.Float, CultureInfo.InvariantCulture, out sigmoid) && sigmoid > 0))
                {
                    throw fail($"objective '{objective}': the sigmoid parameter is not a positive number.");
                }
            }

            return new PlattCalibration(sigmoid, 0);
        }

        if (name is "multiclass" or "multiclassova" or "softmax" or "ovr")
        {
            throw fail($"objective '{objective}': multiclass models are not supported; Biathlon reads regression and binary LightGBM models.");
        }

        throw fail($"objective '{objective}' is not supported: its prediction is not the raw score or a sigmoid of it. "
            + $"Supported: {string.Join(", ", s_identityObjectives)} (prediction = score) and binary (P = sigmoid).");
    }
}
