using Biathlon.Engine.Specs;
using Biathlon.Experiments.Pipelines;
using Biathlon.Planner.Propagation;

namespace Biathlon.Experiments.Specs;

/// <summary>
/// A pipeline brought as a folder (spec + data) and a requests file, with no C#: the requests file's rows, split by
/// time (<see cref="TrainSplit"/>), are the training, validation and test requests, and the model is a stock
/// <see cref="ModelKind"/>. The harness's machinery (preparation, <c>MethodRunner</c>, reports) runs it unchanged.
/// </summary>
public sealed class SpecRecipe : IPipelineRecipe
{
    private readonly ModelKind _model;
    private readonly int? _maxRequests;

    private SpecRecipe(string folder, PipelineDefinition definition, string requestsFile, string label, TrainSplit split, ModelKind model, int? maxRequests)
    {
        Folder = folder;
        Definition = definition;
        RequestsFile = requestsFile;
        Label = label;
        Split = split;
        _model = model;
        _maxRequests = maxRequests;
    }

    /// <summary>The pipeline folder (holds pipeline.json).</summary>
    public string Folder { get; }

    /// <summary>The spec, loaded without its model.</summary>
    public PipelineDefinition Definition { get; }

    /// <summary>The requests file (CSV or Parquet).</summary>
    public string RequestsFile { get; }

    /// <summary>The label column of the requests file.</summary>
    public string Label { get; }

    /// <summary>How the requests are split by time.</summary>
    public TrainSplit Split { get; }

    /// <summary>True for a binary classification pipeline.</summary>
    public bool Binary => Definition.Task == PredictionTask.Classification;

    /// <inheritdoc />
    public string Name => Definition.Name;

    /// <inheritdoc />
    public string DatasetSet => "";

    /// <inheritdoc />
    public string DatasetFile => "";

    /// <inheritdoc />
    public string ModelDescription => ModelTrainer.Describe(_model, Binary);

    /// <inheritdoc />
    public string DataCredit => Definition.Description is { Length: > 0 } description
        ? $"{description} (requests: {Path.GetFileName(RequestsFile)})"
        : $"requests: {Path.GetFileName(RequestsFile)}";

    /// <inheritdoc />
    public double StaleCacheRefreshesPerHour => 0;

    /// <inheritdoc />
    public IReadOnlyDictionary<string, string> TrainingSources { get; } = new Dictionary<string, string>();

    /// <summary>
    /// A recipe for the pipeline in <paramref name="folder"/> (or its spec file) and <paramref name="requestsFile"/>.
    /// Errors name the option, the field or the file (exit 2 for a bad option, 1 for bad input).
    /// </summary>
    /// <param name="folder">The pipeline folder, or its pipeline.json.</param>
    /// <param name="requestsFile">The requests file.</param>
    /// <param name="label">The label column.</param>
    /// <param name="split">The split by time.</param>
    /// <param name="model">The model to train; null for the task's default.</param>
    /// <param name="maxRequests">At most this many requests (a seeded random subset, kept in time order); null for all.</param>
    /// <param name="dataDirectory">What <c>${data}</c> stands for in the spec.</param>
    public static SpecRecipe Create(string folder, string requestsFile, string label, TrainSplit split, ModelKind? model, int? maxRequests, string dataDirectory)
    {
        var specFile = Directory.Exists(folder) ? Path.Combine(folder, PipelineSpecLoader.SpecFileName) : folder;
        if (!File.Exists(specFile))
        {
            throw new CliException($"option --spec: no pipeline spec at '{Path.GetFullPath(specFile)}'", 2);
        }

        var definition = PipelineSpecLoader.Load(specFile, dataDirectory);
        if (definition.Task == PredictionTask.Classification && !definition.IsBinary)
        {
            throw new CliException($"pipeline '{definition.Name}' is a multiclass classifier; train and run take regression or binary pipelines", 1);
        }

        var binary = definition.Task == PredictionTask.Classification;
        var kind = model ?? ModelTrainer.Default(binary);
        ModelTrainer.Check(kind, binary);
        return new SpecRecipe(definition.Folder, definition, Path.GetFullPath(requestsFile), label, split, kind, maxRequests);
    }

    /// <summary>The requests file's rows split by time; <paramref name="sizes"/> is ignored (the split decides).</summary>
    public async Task<RecipeRequests> LoadRequestsAsync(string dataDirectory, RecipeSizes sizes, int seed)
    {
        var contents = await Specs.RequestsFile.ReadAsync(RequestsFile, Definition, Label, Binary);
        var requests = contents.Requests;
        if (contents.SkippedUnlabelled > 0)
        {
            Cli.CliProgress.Instance.Report($"{Name}: skipped {contents.SkippedUnlabelled:N0} rows of {Path.GetFileName(RequestsFile)} without a label in '{Label}'");
        }

        if (_maxRequests is { } max && requests.Count > max)
        {
            var rows = Enumerable.Range(0, requests.Count).ToArray();
            new Random(seed).Shuffle(rows);
            var all = requests;
            requests = rows.Take(max).Order().Select(i => all[i]).ToArray();
        }

        var (train, validation, test) = Split.Counts(requests.Count);
        if (train < 1 || validation < 1 || test < 1)
        {
            throw new CliException($"'{RequestsFile}' has {requests.Count} labelled requests: too few for the split {Split} (each of training, validation and test needs one)", 1);
        }

        return new RecipeRequests(
            requests.Take(train).ToArray(),
            requests.Skip(train).Take(validation).ToArray(),
            requests.Skip(train + validation).ToArray());
    }

    /// <summary>How the requests were chosen and split, as the model's metadata records it (<c>train_split</c>, <c>max_requests</c>).</summary>
    public string SplitDescription => _maxRequests is { } max ? $"{Split} of at most {max}" : Split.ToString();

    /// <inheritdoc />
    public TrainedModel Train(float[][] train, float[] trainLabels, float[][] validation, float[] validationLabels, Dictionary<string, string> metadata, int seed)
    {
        // Recorded so that `run` can tell when it splits the requests file differently (its test split would then
        // hold training requests).
        metadata["requests_file"] = Path.GetFileName(RequestsFile);
        metadata["train_split"] = SplitDescription;
        return ModelTrainer.Train(_model, Binary, train, trainLabels, validation, validationLabels, metadata, seed);
    }
}
