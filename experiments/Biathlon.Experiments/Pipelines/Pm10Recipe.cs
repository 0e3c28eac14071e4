using Biathlon.Experiments.Specs;
using Biathlon.Sampling.Ingest;
using Biathlon.Sampling.Schema;

namespace Biathlon.Experiments.Pipelines;

/// <summary>PM10-Forecast: station-days split by time (train 1999–2005, validation 2006–2007, test 2008–2009), FastForest.</summary>
public sealed class Pm10Recipe : IPipelineRecipe
{
    public string Name => "pm10-forecast";

    public string DatasetSet => "r";

    public string DatasetFile => "air-pm10.csv";

    public string ModelDescription => "ML.NET FastForest regression (100 trees, 20 leaves)";

    public string DataCredit => "air-pm10: EEA AirBase daily PM10 of 70 German rural stations, 1998–2009 (Debian r-cran-spacetime 1.2-8, GPL ≥ 2)";

    public double StaleCacheRefreshesPerHour => 0.05;

    public IReadOnlyDictionary<string, string> TrainingSources { get; } = new Dictionary<string, string>();

    public async Task<RecipeRequests> LoadRequestsAsync(string dataDirectory, RecipeSizes sizes, int seed)
    {
        var raw = await TableReader.ReadFileAsync(Path.Combine(dataDirectory, DatasetFile));
        var stations = raw.GetStrings("station");
        var days = raw.GetInt64s("date").ToArray();
        var values = raw.GetDoubles("pm10").ToArray();
        IReadOnlyList<HarnessRequest> Split(int fromYear, int toYear, int count, int splitSeed)
        {
            long from = TimeValue.FromDateTime(new DateTime(fromYear, 1, 1)), to = TimeValue.FromDateTime(new DateTime(toYear, 1, 1));
            var eligible = Enumerable.Range(0, days.Length).Where(r => days[r] >= from && days[r] < to && double.IsFinite(values[r])).ToArray();
            return RowSampler.Sample(eligible, count, splitSeed)
                .Select(r => new HarnessRequest(
                    new Dictionary<string, object?> { ["station"] = stations[r], ["day"] = TimeValue.ToDateTime(days[r]) },
                    values[r],
                    TimeValue.ToDateTime(days[r])))
                .OrderBy(r => r.Time)
                .ToArray();
        }

        return new RecipeRequests(Split(1999, 2006, sizes.Train, seed), Split(2006, 2008, sizes.Validation, seed + 1), Split(2008, 2010, sizes.Test, seed + 2));
    }

    public TrainedModel Train(float[][] train, float[] trainLabels, float[][] validation, float[] validationLabels, Dictionary<string, string> metadata, int seed) =>
        ModelTrainer.Train(ModelKind.FastForest, binary: false, train, trainLabels, validation, validationLabels, metadata, seed);
}
